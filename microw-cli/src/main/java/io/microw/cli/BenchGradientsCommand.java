package io.microw.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw bench gradients}: tokens/s of a forward and backward pass of a logit difference with the gradient
 * kept at every block input (what attribution patching costs per input), on brown-gpt2 (32 x 128) and a random
 * GPT-2-small-shaped model (8 x 128), printed side by side with the PyTorch peer's {@code gradients} workload when
 * its script exists.
 */
@Command(name = "gradients",
        description = {"Gradient throughput (tokens/s of forward + backward of a logit difference, gradients kept at "
                + "every block input) on brown-gpt2 (32 x 128) and a random GPT-2-small-shaped model (8 x 128), side "
                + "by side with the PyTorch peer (run-torch-ref.sh gradients) when it exists."},
        footer = {"", "Examples:", "  microw bench gradients",
            "  microw bench gradients --model gpt2-small --no-peer --json"})
final class BenchGradientsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--batch", paramLabel = "ROWS", description = "Rows per call (default: the workload's, as the "
            + "peer: 32 for brown-gpt2, 8 for gpt2-small).")
    Integer batch;

    @Option(names = "--seq", paramLabel = "TOKENS", description = "Tokens per row (default: the workload's, 128).")
    Integer seq;

    @Option(names = "--reps", defaultValue = "3", description = "Timed calls per workload (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed calls first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Mixin
    PeerBenchOptions peerOptions;

    @Mixin
    PeerPairing pairing;

    @Override
    public Integer call() {
        validate();
        pairing.validate(spec.commandLine());
        PrintWriter err = spec.commandLine().getErr();
        int threadCount = peerOptions.startEngine(spec.commandLine());
        String engine = PeerBenchOptions.engineLabel();
        PeerPairing.Outcome outcome = pairing.run(spec.commandLine(),
                new PeerPairing.Peer(List.of("gradients"), "tokens_per_s"),
                peerOptions.eachModel(spec.commandLine(), (w, lm) -> {
                    int rows = batch != null ? batch : w.batch;
                    int tokens = seq != null ? seq : w.seq;
                    err.printf(Locale.ROOT, "bench gradients: %s, %d x %d tokens, %d warm-up + %d timed calls...%n", w.id,
                            rows, tokens, warmup, reps);
                    err.flush();
                    return json(GradientsBenchmark.run(w, lm, rows, tokens, reps, warmup, 0), engine, threadCount);
                }));
        if (!peerOptions.jsonOnly) {
            PrintWriter out = spec.commandLine().getOut();
            outcome.printTable(out);
            out.printf(Locale.ROOT, "  Forward + backward, gradients at every block input (%s, %d threads).%n", engine,
                    threadCount);
            out.flush();
        }
        return 0;
    }

    private void validate() {
        if (batch != null && (batch < 1 || batch > 65_536)) {
            throw new ParameterException(spec.commandLine(), "--batch must be 1..65536, got " + batch);
        }
        if (seq != null && seq < 1) {
            throw new ParameterException(spec.commandLine(), "--seq must be at least 1, got " + seq);
        }
        if (reps < 1 || reps > 100_000) {
            throw new ParameterException(spec.commandLine(), "--reps must be 1..100000, got " + reps);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be 0 or more, got " + warmup);
        }
    }

    private static ObjectNode json(GradientsBenchmark.Result r, String engine, int threads) {
        ObjectNode m = Json.object();
        m.put("workload", "gradients_resid_pre");
        m.put("model", r.model());
        m.put("batch", r.batch());
        m.put("seq", r.seq());
        m.put("tokens_per_s", BenchSupport.round(r.tokensPerSecond()));
        m.put("reps", r.seconds().length);
        m.put("threads", threads);
        m.put("microw", VersionProvider.microwVersion());
        m.put("engine", engine);
        EngineEnvironment.jsonFields().forEach(m::put);
        return m;
    }
}
