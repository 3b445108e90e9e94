package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.lm.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * {@code microw bench forward}: tokens/s of a forward pass with one detector on the middle block, and the
 * hook's overhead, for the workloads of the PyTorch peer ({@code shared/bench/torch_ref.py forward}, {@code llama}),
 * paired with the peer through {@link PeerPairing}. Prints one JSON line per workload (the peer's fields plus
 * microw's, with the 1024³ product's speed as {@code calib_gflops}) and a summary.
 */
@Command(name = "forward",
        description = {"Forward-pass throughput with a LayerActivationDetector on the middle block, and without "
            + "any hook (hook overhead), on brown-gpt2 (batch 32 x 128) and a random GPT-2-small-shaped model "
            + "(batch 8 x 128); with --model llama, a random TinyLlama-shaped model (batch 1 x 128)."},
        footer = {"", "Examples:", "  microw bench forward --json", "  microw bench forward --model llama --breakdown --no-peer",
            "  microw bench forward --pairs 3 --json     3 back-to-back pairs with run-torch-ref.sh forward"})
final class BenchForwardCommand implements Callable<Integer> {

    /** The side of the calibration product, as the 1024³ {@code calib} of BENCHMARKS.md. */
    static final int CALIB_SIZE = 1024;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--reps", defaultValue = "10",
            description = "Timed forwards per variant (with hook, without), interleaved (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Untimed forwards per variant before timing (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--model", split = ",", paramLabel = "NAME",
            description = "Workloads to run: brown-gpt2, gpt2-small, llama (default: brown-gpt2,gpt2-small).")
    List<String> models = new ArrayList<>(List.of("brown-gpt2", "gpt2-small"));

    @Option(names = "--batch", description = "Override every workload's batch size (default: the peer's).")
    Integer batch;

    @Option(names = "--seq", description = "Override every workload's sequence length (default: 128).")
    Integer seq;

    @Option(names = "--threads",
            description = "PyTorch intra-op threads (default: $THREADS, else 2, as the peer).")
    Integer threads;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random token ids (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print only the JSON lines.")
    boolean jsonOnly;

    @Mixin
    PeerPairing pairing;

    @Option(names = "--times", description = "Also print every timed forward's seconds to stderr.")
    boolean times;

    @Option(names = "--breakdown",
            description = "After timing, run --reps more forwards with timing hooks on every module and print "
                    + "where the time goes (the hooks themselves add a few percent).")
    boolean breakdown;

    @Option(names = "--cache", paramLabel = "N",
            description = "Also time runWithCache capturing the first N hook points against the plain forward "
                    + "(interleaved pairs; the overhead is the median ratio).")
    Integer cachePoints;

    @Override
    public Integer call() {
        validate();
        List<ForwardWorkload> workloads = new ArrayList<>();
        for (String m : models) {
            workloads.add(ForwardWorkload.byId(m));
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Engine engine = Engine.getEngine("PyTorch");
        int threadCount = threads != null ? threads : BenchSupport.defaultThreads();
        JniUtils.setNumThreads(threadCount);
        String engineVersion = "PyTorch " + engine.getVersion() + " via DJL " + Engine.getDjlVersion();
        List<ForwardBenchmark.Result> results = new ArrayList<>();
        Map<String, Consumer<PrintWriter>> breakdowns = new LinkedHashMap<>();
        List<ForwardBenchmark.CacheResult> cacheResults = new ArrayList<>();
        PeerPairing.Outcome outcome = pairing.run(spec.commandLine(), new PeerPairing.Peer(peerWorkloads(workloads),
                "tokens_per_s"), pair -> {
                    List<ObjectNode> lines = new ArrayList<>();
                    double calib = EngineCalib.measure(CALIB_SIZE, CALIB_SIZE, CALIB_SIZE).gflops();
                    for (ForwardWorkload w : workloads) {
                        int b = batch != null ? batch : w.batch;
                        int s = seq != null ? seq : w.seq;
                        err.printf(Locale.ROOT, "bench forward: %s, batch %d x %d, %d warm-up + %d timed forwards per "
                                + "variant...%n", w.id, b, s, warmup, reps);
                        err.flush();
                        try (LanguageModel lm = w.load()) {
                            if (s > lm.config().maxPositions()) {
                                throw new ParameterException(spec.commandLine(), "--seq " + s + " exceeds " + w.id
                                        + "'s context of " + lm.config().maxPositions() + " positions");
                            }
                            ForwardBenchmark bench = new ForwardBenchmark(lm, b, s, seed);
                            ForwardBenchmark.Result r = bench.run(w.label, reps, warmup);
                            results.add(r);
                            if (times) {
                                err.println("  with hook (s): " + seconds(r.hooked()));
                                err.println("  no hook (s):   " + seconds(r.plain()));
                                err.flush();
                            }
                            lines.add(json(r, calib, engineVersion, threadCount));
                            if (cachePoints != null && pair == 1) {
                                ForwardBenchmark.CacheResult c = bench.cacheOverhead(w.label, cachePoints, reps, warmup);
                                lines.add(cacheJson(c, engineVersion, threadCount));
                                cacheResults.add(c);
                            }
                            if (breakdown && pair == 1) {
                                breakdowns.put(w.label + ", " + b + "x" + s, bench.breakdown(reps));
                            }
                        }
                    }
                    return lines;
                });
        if (!jsonOnly) {
            summary(out, results, engineVersion, threadCount);
            for (ForwardBenchmark.CacheResult c : cacheResults) {
                out.printf(Locale.ROOT, "  runWithCache of %d hook points, %s %dx%d: %+.1f%% over the plain forward "
                        + "(median of %d pairs)%n", c.points().size(), c.model(), c.batch(), c.seq(),
                        c.overheadPercent(), c.ratios().length);
            }
            outcome.printTable(out);
        }
        breakdowns.forEach((label, table) -> {
            out.println();
            out.println("Where a forward's time goes: " + label + " (ms per forward, timed with hooks on every module)");
            table.accept(out);
        });
        out.flush();
        return 0;
    }

    /** The peer's workloads for these: {@code forward} for the GPT-2 shapes, {@code llama} for the TinyLlama one. */
    static List<String> peerWorkloads(List<ForwardWorkload> workloads) {
        List<String> args = new ArrayList<>();
        if (workloads.stream().anyMatch(w -> w != ForwardWorkload.TINYLLAMA)) {
            args.add("forward");
        }
        if (workloads.contains(ForwardWorkload.TINYLLAMA)) {
            args.add("llama");
        }
        return args;
    }

    private void validate() {
        if (reps < 1 || reps > 100_000) {
            throw new ParameterException(spec.commandLine(), "--reps must be 1..100000, got " + reps);
        }
        if (warmup < 0) {
            throw new ParameterException(spec.commandLine(), "--warmup must be 0 or more, got " + warmup);
        }
        if (batch != null && (batch < 1 || batch > 65_536)) {
            throw new ParameterException(spec.commandLine(), "--batch must be 1..65536, got " + batch);
        }
        if (seq != null && seq < 1) {
            throw new ParameterException(spec.commandLine(), "--seq must be at least 1, got " + seq);
        }
        if (threads != null && threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        BenchSupport.checkWorkloads(spec.commandLine(), models);
        pairing.validate(spec.commandLine());
    }

    private static ObjectNode cacheJson(ForwardBenchmark.CacheResult c, String engine, int threads) {
        ObjectNode m = Json.object();
        m.put("workload", "run_with_cache");
        m.put("model", c.model());
        m.put("batch", c.batch());
        m.put("seq", c.seq());
        m.put("hook_points", c.points().size());
        m.put("overhead_percent", Math.round(c.overheadPercent() * 10) / 10.0);
        m.put("pairs", c.ratios().length);
        m.put("threads", threads);
        m.put("engine", engine);
        EngineEnvironment.jsonFields().forEach(m::put);
        return m;
    }

    /** microw's line for one workload, with {@code calib_gflops}: the 1024³ product's speed measured in the same run. */
    private static ObjectNode json(ForwardBenchmark.Result r, double calib, String engine, int threads) {
        ObjectNode m = Json.object();
        m.put("workload", "forward");
        m.put("model", r.model());
        m.put("batch", r.batch());
        m.put("seq", r.seq());
        m.put("tokens_per_s", BenchSupport.round(r.tokensPerSecond()));
        m.put("gflops", BenchSupport.round(r.gflops()));
        m.put("calib_gflops", BenchSupport.round(calib));
        m.put("tokens_per_s_median", BenchSupport.round(r.tokensPerSecondMedian()));
        m.put("tokens_per_s_no_hook", BenchSupport.round(r.tokensPerSecondNoHook()));
        m.put("tokens_per_s_no_hook_median", BenchSupport.round(r.tokensPerSecondNoHookMedian()));
        m.put("hook_overhead_pct", Math.round(r.hookOverheadPercent() * 100) / 100.0);
        m.put("hook_layer", r.hookLayer());
        m.put("reps", r.reps());
        m.put("warmup", r.warmup());
        m.put("threads", threads);
        m.put("microw", VersionProvider.microwVersion());
        m.put("engine", engine);
        EngineEnvironment.jsonFields().forEach(m::put);
        return m;
    }

    private static String seconds(double[] xs) {
        StringBuilder sb = new StringBuilder();
        for (double x : xs) {
            sb.append(String.format(Locale.ROOT, "%.4f ", x));
        }
        return sb.toString().strip();
    }

    private static void summary(PrintWriter out, List<ForwardBenchmark.Result> results, String engine, int threads) {
        out.println();
        out.printf(Locale.ROOT, "Forward throughput (%s, %d threads; tokens/s, higher is better)%n", engine, threads);
        out.printf(Locale.ROOT, "  %-48s %9s %11s %11s %9s %9s%n", "model", "batch", "with hook", "no hook", "GFLOP/s",
                "overhead");
        for (ForwardBenchmark.Result r : results) {
            out.printf(Locale.ROOT, "  %-48s %9s %11.1f %11.1f %9.1f %8.2f%%%n",
                    r.model(), r.batch() + "x" + r.seq(),
                    r.tokensPerSecond(), r.tokensPerSecondNoHook(), r.gflops(), r.hookOverheadPercent());
        }
        out.println("  tokens/s = tokens / total time of the timed forwards (as the PyTorch peer); overhead = median over"
                + " the interleaved pairs of (time with the detector / time without) - 1.");
    }
}
