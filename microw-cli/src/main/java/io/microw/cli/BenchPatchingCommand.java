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
 * {@code microw bench patching}: cells/s of residual-stream activation patching over every (layer, position) cell,
 * on brown-gpt2 and a random GPT-2-small-shaped model (1 x 16 tokens), printed side by side with the PyTorch peer's
 * {@code patching} workload (one hooked forward per cell, as a TransformerLens user writes it) when its script exists.
 */
@Command(name = "patching",
        description = {"Activation-patching throughput (cells/s, hook_resid_pre at every layer and position) on "
                + "brown-gpt2 and a random GPT-2-small-shaped model, 1 x 16 tokens, side by side with the PyTorch peer "
                + "(run-torch-ref.sh patching) when it exists."},
        footer = {"", "Examples:", "  microw bench patching", "  microw bench patching --model gpt2-small --no-peer --json"})
final class BenchPatchingCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--seq", defaultValue = "16", description = "Prompt length in tokens (default: ${DEFAULT-VALUE}).")
    int seq;

    @Option(names = "--corrupt-at", paramLabel = "POSITION",
            description = "The position the corrupted prompt differs at (default: seq / 2, as the peer). Cells before "
                    + "it need no forward; 0 makes every cell run.")
    Integer corruptAt;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "32",
            description = "Patched copies per forward (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--reps", defaultValue = "3", description = "Timed sweeps per workload (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed sweeps first (default: ${DEFAULT-VALUE}).")
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
                new PeerPairing.Peer(List.of("patching"), "cells_per_s"),
                peerOptions.eachModel(spec.commandLine(), (w, lm) -> {
                    err.printf(Locale.ROOT, "bench patching: %s, 1 x %d tokens, %d warm-up + %d timed sweeps...%n", w.id,
                            seq, warmup, reps);
                    err.flush();
                    return json(PatchingBenchmark.run(w, lm, seq, corruptPosition(), maxBatch, reps, warmup, 0), engine,
                            threadCount);
                }));
        if (!peerOptions.jsonOnly) {
            PrintWriter out = spec.commandLine().getOut();
            outcome.printTable(out);
            out.printf(Locale.ROOT, "  Residual-stream patching (%s, %d threads): microw batches the patched copies "
                    + "(--max-batch per forward); the peer runs one hooked forward per cell.%n", engine, threadCount);
            out.flush();
        }
        return 0;
    }

    private int corruptPosition() {
        return corruptAt != null ? corruptAt : seq / 2;
    }

    private void validate() {
        if (seq < 1) {
            throw new ParameterException(spec.commandLine(), "--seq must be at least 1, got " + seq);
        }
        if (corruptAt != null && (corruptAt < 0 || corruptAt >= seq)) {
            throw new ParameterException(spec.commandLine(), "--corrupt-at must be 0.." + (seq - 1) + " (--seq " + seq
                    + "), got " + corruptAt);
        }
        if (maxBatch < 1) {
            throw new ParameterException(spec.commandLine(), "--max-batch must be at least 1, got " + maxBatch);
        }
        if (reps < 1) {
            throw new ParameterException(spec.commandLine(), "--reps must be at least 1, got " + reps);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be 0 or more, got " + warmup);
        }
    }

    private static ObjectNode json(PatchingBenchmark.Result r, String engine, int threads) {
        ObjectNode m = Json.object();
        m.put("workload", "patching_resid_pre");
        m.put("model", r.model());
        m.put("seq", r.seq());
        m.put("corrupt_at", r.corruptAt());
        m.put("cells", r.cells());
        m.put("cells_per_s", BenchSupport.round(r.cellsPerSecond()));
        m.put("max_batch", r.maxBatch());
        m.put("reps", r.seconds().length);
        m.put("threads", threads);
        m.put("microw", VersionProvider.microwVersion());
        m.put("engine", engine);
        EngineEnvironment.jsonFields().forEach(m::put);
        return m;
    }
}
