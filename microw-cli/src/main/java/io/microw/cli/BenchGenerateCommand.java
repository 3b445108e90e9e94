package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.lm.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw bench generate}: new tokens/s of greedy decoding with the KV cache (8 prompts of 32 random tokens,
 * 64 new tokens each) on brown-gpt2 and a random GPT-2-small-shaped model, beside the PyTorch peer's
 * {@code generate} workload, with the peer's protocol (one untimed run of the whole loop, one timed).
 */
@Command(name = "generate",
        description = {"Greedy decoding throughput with the KV cache (new tokens/s; 8 prompts x 32 random tokens, 64 new "
                + "tokens) on brown-gpt2 and a random GPT-2-small-shaped model, side by side with the PyTorch peer "
                + "(run-torch-ref.sh generate) when it exists."},
        footer = {"", "Examples:", "  microw bench generate",
            "  microw bench generate --model gpt2-small --reps 3 --no-peer --json"})
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
            description = "Untimed runs first (default: ${DEFAULT-VALUE}, as the peer).")
    int warmup;

    @Mixin
    PeerBenchOptions peerOptions;

    @Override
    public Integer call() {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int threadCount = peerOptions.startEngine(spec.commandLine());
        String engine = PeerBenchOptions.engineLabel();
        List<GenerateBenchmark.Result> results = new ArrayList<>();
        for (String id : peerOptions.workloads(spec.commandLine())) {
            ForwardWorkload w = ForwardWorkload.byId(id);
            err.printf(Locale.ROOT, "bench generate: %s, %d prompts x %d tokens, %d new tokens, %d warm-up + %d timed "
                    + "runs...%n", w.id, batch, prompt, newTokens, warmup, reps);
            err.flush();
            try (LanguageModel lm = w.load()) {
                results.add(GenerateBenchmark.run(w, lm, batch, prompt, newTokens, reps, warmup, 0));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        List<JsonNode> peerLines = peerOptions.peerLines("generate", err);
        for (GenerateBenchmark.Result r : results) {
            out.println(json(r, peerLine(r, peerLines), engine, threadCount));
        }
        peerLines.forEach(out::println);
        if (!peerOptions.jsonOnly) {
            summary(out, results, peerLines, engine, threadCount);
        }
        out.flush();
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
    }

    /** The peer's line for the same model id and shape, or {@code null}. */
    static JsonNode peerLine(GenerateBenchmark.Result r, List<JsonNode> peer) {
        return peer.stream().filter(n -> n.path("workload").asText().equals(WORKLOAD)
                && n.path("model").asText().startsWith(r.id() + " ") && n.path("batch").asInt() == r.batch()
                && n.path("prompt").asInt() == r.prompt() && n.path("new_tokens").asInt() == r.newTokens())
                .findFirst().orElse(null);
    }

    /** microw's JSON line; with a peer line, the peer's torch version, its number and the ratio too. */
    static String json(GenerateBenchmark.Result r, JsonNode peer, String engine, int threads) {
        ObjectNode m = Json.object();
        m.put("workload", WORKLOAD);
        m.put("model", r.model());
        m.put("batch", r.batch());
        m.put("prompt", r.prompt());
        m.put("new_tokens", r.newTokens());
        m.put("new_tokens_per_s", BenchSupport.round(r.newTokensPerSecond()));
        m.put("generated_tokens", r.generated());
        m.put("reps", r.seconds().length);
        m.put("threads", threads);
        m.put("microw", VersionProvider.microwVersion());
        m.put("engine", engine);
        OmpWaitPolicy.current().jsonFields().forEach(m::put);
        if (peer != null) {
            double theirs = peer.path("new_tokens_per_s").asDouble();
            m.put("peer_torch", peer.path("torch").asText("unknown"));
            m.put("peer_new_tokens_per_s", theirs);
            m.put("ratio", Math.round(r.newTokensPerSecond() / theirs * 100) / 100.0);
        }
        return m.toString();
    }

    private static void summary(PrintWriter out, List<GenerateBenchmark.Result> results, List<JsonNode> peer,
                                String engine, int threads) {
        out.println();
        out.printf(Locale.ROOT, "Greedy generation with the KV cache (%s, %d threads; new tokens/s, higher is better)%n",
                engine, threads);
        out.printf(Locale.ROOT, "  %-48s %12s %12s %12s %8s%n", "model", "shape", "microw", "PyTorch", "ratio");
        for (GenerateBenchmark.Result r : results) {
            JsonNode p = peerLine(r, peer);
            double theirs = p == null ? Double.NaN : p.path("new_tokens_per_s").asDouble();
            out.printf(Locale.ROOT, "  %-48s %12s %12.1f %12s %8s%n", r.model(),
                    r.batch() + "x" + r.prompt() + "+" + r.newTokens(), r.newTokensPerSecond(),
                    p == null ? "-" : String.format(Locale.ROOT, "%.1f", theirs),
                    p == null ? "-" : String.format(Locale.ROOT, "%.2fx", r.newTokensPerSecond() / theirs));
        }
        out.println("  Ratios only mean something measured side by side on the same machine.");
    }
}
