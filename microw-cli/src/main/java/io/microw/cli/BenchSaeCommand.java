package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.sae.train.SaeTrainingConfig.CodePath;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code microw bench sae}: TopK SAE training throughput at the PyTorch peer's two shapes
 * ({@code shared/bench/torch_ref.py sae}), with microw's sparse kernels, and optionally the dense path and the
 * loss check (sparse and dense training from the same weights on the same data reach the same MSE). Every line
 * carries the bound measured in the same run: the tokens/s of the dense encoder product alone
 * ({@link DenseEncoderBound}), and the fraction of it the training reached. Each run is paired with the peer's
 * through {@link PeerPairing}.
 */
@Command(name = "sae",
        description = {"TopK SAE training throughput (tokens/s) at d_in 256 / d_sae 4096 and d_in 768 / d_sae 24576, "
            + "k 32, batch 4096: encode, top-k, decode, MSE, Adam, decoder renorm, as the PyTorch peer."},
        footer = {"", "Examples:",
            "  microw bench sae                       both shapes, sparse kernels",
            "  microw bench sae --shape small --dense --steps 20 --no-peer",
            "                                         also the dense path, and the final-MSE check",
            "  microw bench sae --pairs 3 --json      3 back-to-back pairs with run-torch-ref.sh sae"})
final class BenchSaeCommand implements Callable<Integer> {

    private static final Map<String, SaeTrainingBenchmark.Workload> SHAPES = Map.of(
            "small", new SaeTrainingBenchmark.Workload(256, 4096, 32, 4096),
            "large", new SaeTrainingBenchmark.Workload(768, 24576, 32, 4096));

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--shape", split = ",", paramLabel = "NAME",
            description = "Shapes to run: small (256/4096), large (768/24576) (default: small,large).")
    List<String> shapes = new ArrayList<>(List.of("small", "large"));

    @Option(names = "--steps", description = "Training steps per run, the warm-up's untimed (default: the warm-up and "
            + "10 timed small, 3 large).")
    Integer steps;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed steps at the start of each run (default: "
            + "${DEFAULT-VALUE}, as the peer; on 2 cores the JIT compiles the trainer's kernels into the fifth step at the "
            + "large shape, so 6 measures the steady state).")
    int warmup;

    @Option(names = "--dense", description = "Also train with dense products and compare the final MSE with the sparse run.")
    boolean dense;

    @Option(names = "--threads", description = "Threads (default: $THREADS, else 2, as the peer).")
    Integer threads;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the weights and data (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print only the JSON lines.")
    boolean jsonOnly;

    @Mixin
    PeerPairing pairing;

    @Override
    public Integer call() {
        for (String s : shapes) {
            if (!SHAPES.containsKey(s)) {
                throw new ParameterException(spec.commandLine(), "--shape: unknown shape '" + s
                        + "'; expected small or large");
            }
        }
        if (warmup < 1) {
            throw new ParameterException(spec.commandLine(), "--warmup must be at least 1, got " + warmup);
        }
        if (steps != null && steps <= warmup) {
            throw new ParameterException(spec.commandLine(), "--steps must be more than --warmup (" + warmup
                    + " untimed), got " + steps);
        }
        if (threads != null && threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        pairing.validate(spec.commandLine());
        int threadCount = threads != null ? threads : BenchSupport.defaultThreads();
        String engine = "PyTorch " + Engine.getEngine("PyTorch").getVersion() + " via DJL " + Engine.getDjlVersion();
        JniUtils.setNumThreads(threadCount);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<CodePath> paths = dense ? List.of(CodePath.SPARSE, CodePath.DENSE) : List.of(CodePath.SPARSE);
        List<List<SaeTrainingBenchmark.Result>> runs = new ArrayList<>();
        PeerPairing.Outcome outcome = pairing.run(spec.commandLine(), new PeerPairing.Peer(List.of("sae"),
                "tokens_per_s"), pair -> {
                    List<ObjectNode> lines = new ArrayList<>();
                    for (String name : shapes) {
                        SaeTrainingBenchmark.Workload w = SHAPES.get(name);
                        int n = steps != null ? steps : (name.equals("small") ? 10 : 3) + warmup;
                        List<SaeTrainingBenchmark.Result> results = new ArrayList<>();
                        for (CodePath path : paths) {
                            err.printf(Locale.ROOT, "bench sae: %s, %s path, %d steps...%n", w.label(), path, n);
                            err.flush();
                            SaeTrainingBenchmark.Result r =
                                    SaeTrainingBenchmark.run(w, path, n, warmup, seed, threadCount);
                            results.add(r);
                            lines.add(json(r, engine, threadCount));
                        }
                        runs.add(results);
                    }
                    return lines;
                });
        if (!jsonOnly) {
            for (List<SaeTrainingBenchmark.Result> results : runs) {
                out.println(results.get(0).workload().label() + ":");
                for (SaeTrainingBenchmark.Result r : results) {
                    out.printf(Locale.ROOT, "  %-6s %10.1f tokens/s = %.2f of the bound %.1f tokens/s (fastest dense "
                                    + "encoder product %.1f GFLOP/s, median %.1f)   MSE %.4f -> %.4f%n", r.path(),
                            r.tokensPerSecond(), r.fractionOfBound(), r.boundTokensPerSecond(), r.boundGflops(),
                            r.boundMedianGflops(), r.firstMse(), r.finalMse());
                }
                if (results.size() == 2) {
                    double rel = Math.abs(results.get(0).finalMse() - results.get(1).finalMse()) / results.get(1).finalMse();
                    out.printf(Locale.ROOT, "  final MSE sparse vs dense: relative difference %.2e (goal < 1e-2)%n", rel);
                }
            }
            outcome.printTable(out);
            out.println("  fraction_of_bound: tokens/s over the bound batch / (time of the fastest batch x d_in x d_sae "
                    + "product), measured in the same run.");
        }
        out.flush();
        return 0;
    }

    /**
     * microw's line for one training, with the bound beside it: {@code bound_tokens_per_s} (batch over the time of the
     * one dense product training cannot avoid, batch × d_in × d_sae, at its fastest in the same run), {@code
     * bound_gflops}, {@code bound_median_gflops}, {@code bound_products} (how many were timed), {@code
     * fraction_of_bound} and {@code warmup_steps}.
     */
    private static ObjectNode json(SaeTrainingBenchmark.Result r, String engine, int threads) {
        ObjectNode m = Json.object();
        m.put("workload", "sae_topk_train");
        m.put("d_in", r.workload().dIn());
        m.put("d_sae", r.workload().dSae());
        m.put("k", r.workload().k());
        m.put("batch", r.workload().batch());
        m.put("tokens_per_s", BenchSupport.round(r.tokensPerSecond()));
        m.put("bound_tokens_per_s", BenchSupport.round(r.boundTokensPerSecond()));
        m.put("bound_gflops", BenchSupport.round(r.boundGflops()));
        m.put("bound_median_gflops", BenchSupport.round(r.boundMedianGflops()));
        m.put("bound_products", r.boundProducts());
        m.put("fraction_of_bound", Math.round(r.fractionOfBound() * 1000) / 1000.0);
        m.put("path", r.path().name().toLowerCase(Locale.ROOT));
        m.put("steps", r.steps());
        m.put("warmup_steps", r.warmup());
        m.put("first_mse", r.firstMse());
        m.put("final_mse", r.finalMse());
        m.put("threads", threads);
        m.put("microw", VersionProvider.microwVersion());
        m.put("engine", engine);
        EngineEnvironment.jsonFields().forEach(m::put);
        return m;
    }
}
