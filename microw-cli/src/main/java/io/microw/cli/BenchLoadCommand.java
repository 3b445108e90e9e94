package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw bench load}: writes a Llama-shaped float32 checkpoint with random weights once (TinyLlama's 1.1B
 * parameters by default; a valid one already there is kept), then measures the time to the first token (load plus
 * one forward) and the peak resident memory of that, against the size of the weights.
 */
@Command(name = "load",
        description = {"Time to first token and peak resident memory of loading a 1.1B-parameter Llama-shaped "
                + "float32 checkpoint (TinyLlama's shape, random weights, written once into --dir) and running one "
                + "token. Reports the weights' bytes and peak RSS / weights (goal: at most 1.25)."},
        footer = {"", "Examples:", "  microw bench load", "  microw bench load --dir /data/tinyllama-random --json",
            "  microw bench load --layers 2 --hidden 256 --intermediate 512 --heads 8 --kv-heads 2 --vocab 1000"})
final class BenchLoadCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where the checkpoint is written once and read from "
            + "(default: ~/.cache/microw/bench/llama-<shape>-f32).")
    Path dir;

    @Option(names = "--hidden", defaultValue = "2048", description = "Hidden size (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--layers", defaultValue = "22", description = "Layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--intermediate", defaultValue = "5632", description = "MLP width (default: ${DEFAULT-VALUE}).")
    int intermediate;

    @Option(names = "--heads", defaultValue = "32", description = "Query heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--kv-heads", defaultValue = "4", description = "Key-value heads (default: ${DEFAULT-VALUE}).")
    int kvHeads;

    @Option(names = "--vocab", defaultValue = "32000", description = "Vocabulary (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: $THREADS, else 2).")
    Integer threads;

    @Option(names = "--json", description = "Print only the JSON line.")
    boolean jsonOnly;

    @Override
    public Integer call() {
        LlamaShape shape;
        try {
            shape = new LlamaShape(hidden, layers, intermediate, heads, kvHeads, vocab);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (threads != null && threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, got " + threads);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path target = dir != null ? dir : defaultDir(shape);
        err.printf(Locale.ROOT, "bench load: %,d parameters (%.2f GB float32) in %s%n", shape.parameters(),
                shape.parameters() * 4 / 1e9, target);
        err.flush();
        long t = System.nanoTime();
        if (RandomCheckpoint.ensure(target, shape, 0)) {
            err.printf(Locale.ROOT, "  wrote the checkpoint in %.1f s%n", (System.nanoTime() - t) / 1e9);
        } else {
            err.println("  reusing the checkpoint there");
        }
        err.flush();
        int threadCount = threads != null ? threads : BenchSupport.defaultThreads();
        Engine.getEngine("PyTorch");   // started before the measurement: its memory is not the model's
        JniUtils.setNumThreads(threadCount);
        LoadBenchmark.Result r = LoadBenchmark.run(target);
        out.println(json(r, shape, threadCount));
        if (!jsonOnly) {
            out.printf(Locale.ROOT, "%nLoad + first token: %.2f s (load %.2f s); weights %.2f GB; peak RSS %.2f GB "
                    + "= %.2fx the weights (%.2fx added by the load; goal: peak at most 1.25x)%n", r.firstTokenSeconds(),
                    r.loadSeconds(), r.weightsBytes() / 1e9, r.peakRssBytes() / 1e9, r.peakOverWeights(),
                    r.addedOverWeights());
        }
        out.flush();
        return 0;
    }

    /** {@code ~/.cache/microw/bench/llama-<hidden>x<layers>-<intermediate>-<heads>-<kv>-<vocab>-f32}. */
    static Path defaultDir(LlamaShape s) {
        return Path.of(System.getProperty("user.home"), ".cache", "microw", "bench", String.format(Locale.ROOT,
                "llama-%dx%d-%d-%d-%d-%d-f32", s.hidden(), s.layers(), s.intermediate(), s.heads(), s.kvHeads(),
                s.vocab()));
    }

    static String json(LoadBenchmark.Result r, LlamaShape shape, int threads) {
        ObjectNode m = Json.object();
        m.put("workload", "load_first_token");
        m.put("model", shape.equals(LlamaShape.TINYLLAMA) ? "TinyLlama shape (22L 2048d 32/4 heads ff 5632 vocab "
                + "32000, random, float32)" : "Llama shape " + shape);
        m.put("parameters", shape.parameters());
        m.put("weights_bytes", r.weightsBytes());
        m.put("load_s", Math.round(r.loadSeconds() * 1000) / 1000.0);
        m.put("first_token_s", Math.round(r.firstTokenSeconds() * 1000) / 1000.0);
        if (r.peakRssBytes() >= 0) {
            m.put("peak_rss_bytes", r.peakRssBytes());
            m.put("rss_before_bytes", r.rssBeforeBytes());
            m.put("peak_rss_over_weights", Math.round(r.peakOverWeights() * 1000) / 1000.0);
            m.put("added_rss_over_weights", Math.round(r.addedOverWeights() * 1000) / 1000.0);
            m.put("peak_reset_before_load", r.peakReset());
        }
        m.put("threads", threads);
        m.put("microw", VersionProvider.microwVersion());
        m.put("engine", PeerBenchOptions.engineLabel());
        EngineEnvironment.jsonFields().forEach(m::put);
        return m.toString();
    }
}
