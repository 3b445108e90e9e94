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
 * {@code microw bench generate}: new tokens/s of greedy decoding with the KV cache (8 prompts of 32 random tokens,
 * 64 new tokens each) on brown-gpt2 and a random GPT-2-small-shaped model, beside the PyTorch peer's
 * {@code generate} workload, with the peer's protocol (one untimed run of the whole loop, one timed), except that
 * untimed runs go on until {@code --warmup-seconds} have passed: the JVM's compilation of the Java side, a start-up
 * cost the peer's runs do not have (its import and model build are not timed either).
 */
@Command(name = "generate",
        description = {"Greedy decoding throughput with the KV cache (new tokens/s; 8 prompts x 32 random tokens, 64 new "
                + "tokens) on brown-gpt2 and a random GPT-2-small-shaped model, side by side with the PyTorch peer "
                + "(run-torch-ref.sh generate) when it exists."},
        footer = {"", "Examples:", "  microw bench generate",
            "  microw bench generate --model gpt2-small --reps 3 --no-peer --json",
            "  microw bench generate --pairs 3           median ratio of 3 back-to-back pairs"})
final class BenchGenerateCommand implements Callable<Integer> {

    /** The peer's workload name, in its JSON lines and ours. */
    static final String WORKLOAD = "generate_greedy_kv";

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--batch", defaultValue = "8", paramLabel = "PROMPTS",
            description = "Prompts per run (default: ${DEFAULT-VALUE}, as the peer).")
    int batch;

    @Option(names = "--prompt", defaultValue = "32", paramLabel = "TOKENS",
            description = "Random tokens per prompt (default: ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = "--new-tokens", defaultValue = "64", paramLabel = "TOKENS",
            description = "New tokens per prompt, greedy, no stop at end-of-sequence (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--reps", defaultValue = "1", description = "Timed runs (default: ${DEFAULT-VALUE}, as the peer).")
    int reps;

    @Option(names = "--warmup", defaultValue = "1",
            description = "Untimed runs first, at least (default: ${DEFAULT-VALUE}, as the peer).")
    int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "2", paramLabel = "SECONDS",
            description = "More untimed runs until this long has passed, while the JVM compiles microw's Java code "
                    + "(default: ${DEFAULT-VALUE}; 0: --warmup runs only).")
    double warmupSeconds;

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
                new PeerPairing.Peer(List.of("generate"), "new_tokens_per_s"),
                peerOptions.eachModel(spec.commandLine(), (w, lm) -> {
                    err.printf(Locale.ROOT, "bench generate: %s, %d prompts x %d tokens, %d new tokens, %d or more "
                            + "warm-up runs (%.1f s at least) + %d timed runs...%n", w.id, batch, prompt, newTokens,
                            warmup, warmupSeconds, reps);
                    err.flush();
                    try {
                        return json(GenerateBenchmark.run(w, lm, batch, prompt, newTokens, reps, warmup,
                                warmupSeconds, 0), engine, threadCount);
                    } catch (IllegalArgumentException e) {
                        throw new ParameterException(spec.commandLine(), e.getMessage());
                    }
                }));
        if (!peerOptions.jsonOnly) {
            PrintWriter out = spec.commandLine().getOut();
            outcome.printTable(out);
            out.printf(Locale.ROOT, "  Greedy generation with the KV cache (%s, %d threads).%n", engine, threadCount);
            out.flush();
        }
        return 0;
    }

    private void validate() {
        if (batch < 1 || batch > 4096) {
            throw new ParameterException(spec.commandLine(), "--batch must be 1..4096, got " + batch);
        }
        if (prompt < 1) {
            throw new ParameterException(spec.commandLine(), "--prompt must be at least 1, got " + prompt);
        }
        if (newTokens < 1) {
            throw new ParameterException(spec.commandLine(), "--new-tokens must be at least 1, got " + newTokens);
        }
        if (reps < 1 || reps > 10_000) {
            throw new ParameterException(spec.commandLine(), "--reps must be 1..10000, got " + reps);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be 0 or more, got " + warmup);
        }
        if (!(warmupSeconds >= 0 && warmupSeconds <= 600)) {
            throw new ParameterException(spec.commandLine(), "--warmup-seconds must be 0..600, got " + warmupSeconds);
        }
    }

    /** microw's JSON line for one workload. */
    static ObjectNode json(GenerateBenchmark.Result r, String engine, int threads) {
        ObjectNode m = Json.object();
        m.put("workload", WORKLOAD);
        m.put("model", r.model());
        m.put("batch", r.batch());
        m.put("prompt", r.prompt());
        m.put("new_tokens", r.newTokens());
        m.put("new_tokens_per_s", BenchSupport.round(r.newTokensPerSecond()));
        m.put("generated_tokens", r.generated());
        m.put("reps", r.seconds().length);
        m.put("warmup_runs", r.warmupRuns());
        m.put("threads", threads);
        m.put("microw", VersionProvider.microwVersion());
        m.put("engine", engine);
        EngineEnvironment.jsonFields().forEach(m::put);
        return m;
    }
}
