package io.microw.cli;

import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.RunResult;
import io.microw.models.LlamaConfig;
import io.microw.models.ModelConfig;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * Times forwards of one model on random token ids, with one {@link LayerActivationDetector} on the middle
 * block (as the PyTorch peer's forward hook) and without any hook. The two are interleaved (A B, B A, ...) so
 * that drifting machine load hits both alike; each timed forward closes its result.
 */
final class ForwardBenchmark {

    /** What one workload measured; times are per forward, in seconds. */
    record Result(String model, int batch, int seq, int reps, int warmup, String hookLayer,
                  double[] hooked, double[] plain, double gflopPerForward) {

        long tokensPerForward() {
            return (long) batch * seq;
        }

        /** Tokens/s with the hook, total tokens over total time: the peer's definition. */
        double tokensPerSecond() {
            return tokensPerForward() * hooked.length / sum(hooked);
        }

        double tokensPerSecondMedian() {
            return tokensPerForward() / median(hooked);
        }

        double tokensPerSecondNoHook() {
            return tokensPerForward() * plain.length / sum(plain);
        }

        double tokensPerSecondNoHookMedian() {
            return tokensPerForward() / median(plain);
        }

        double gflops() {
            return gflopPerForward * hooked.length / sum(hooked);
        }

        /**
         * Extra time the hook costs, in percent of the hook-free forward: the median over the interleaved pairs
         * of (time with hook / time without), so that load drifting between pairs cancels out.
         */
        double hookOverheadPercent() {
            double[] ratios = new double[hooked.length];
            for (int i = 0; i < ratios.length; i++) {
                ratios[i] = hooked[i] / plain[i];
            }
            return 100 * (median(ratios) - 1);
        }
    }

    private final LanguageModel lm;
    private final int batch;
    private final int seq;
    private final long seed;

    ForwardBenchmark(LanguageModel lm, int batch, int seq, long seed) {
        this.lm = lm;
        this.batch = batch;
        this.seq = seq;
        this.seed = seed;
    }

    /** Layer the detector goes on: block numLayers/2, as in the peer. */
    String hookLayer() {
        return "layer_" + lm.config().numLayers() / 2;
    }

    /**
     * Runs {@code warmup} forwards of each kind, then {@code reps} timed forwards of each kind, interleaved.
     */
    Result run(String model, int reps, int warmup) {
        long[][] ids = randomIds();
        String layer = hookLayer();
        double[] hooked = new double[reps];
        double[] plain = new double[reps];
        try (LayerActivationDetector detector = new LayerActivationDetector(layer)) {
            for (int i = 0; i < warmup; i++) {
                timeForward(ids, detector, true);
                timeForward(ids, detector, false);
            }
            for (int i = 0; i < reps; i++) {
                boolean hookFirst = i % 2 == 0;
                double first = timeForward(ids, detector, hookFirst);
                double second = timeForward(ids, detector, !hookFirst);
                hooked[i] = hookFirst ? first : second;
                plain[i] = hookFirst ? second : first;
            }
        }
        return new Result(model, batch, seq, reps, warmup, lm.layers().resolve(layer), hooked, plain,
                gflopPerForward(lm.config(), batch, seq));
    }

    /** What {@link #cacheOverhead} measured: the hook points captured and each pair's time ratio. */
    record CacheResult(String model, int batch, int seq, List<String> points, double[] ratios) {

        /** Extra time a run with the cache costs, in percent of the plain forward: the median of the pairs' ratios. */
        double overheadPercent() {
            return 100 * (median(ratios) - 1);
        }
    }

    /**
     * Times {@code reps} interleaved pairs of a plain forward and a {@link io.microw.lm.InferenceEngine#runWithCache}
     * capturing the first {@code points} hook points in model order (every name or alias with {@code hook_}), after
     * {@code warmup} untimed pairs.
     */
    CacheResult cacheOverhead(String model, int points, int reps, int warmup) {
        List<String> all = lm.layers().match("*hook_*");
        if (points < 1 || points > all.size()) {
            throw new IllegalArgumentException("--cache must be 1.." + all.size() + " (the model's hook points), got "
                    + points);
        }
        String[] chosen = all.subList(0, points).toArray(String[]::new);
        long[][] ids = randomIds();
        double[] ratios = new double[reps];
        for (int i = -warmup; i < reps; i++) {
            boolean cacheFirst = (i & 1) == 0;
            double first = timeRun(ids, cacheFirst ? chosen : null);
            double second = timeRun(ids, cacheFirst ? null : chosen);
            if (i >= 0) {
                ratios[i] = cacheFirst ? first / second : second / first;
            }
        }
        return new CacheResult(model, batch, seq, List.of(chosen), ratios);
    }

    /** One run, with a cache of {@code points} or, when {@code null}, a plain forward; returns seconds. */
    private double timeRun(long[][] ids, String[] points) {
        long start = System.nanoTime();
        if (points == null) {
            try (InferenceResult r = lm.inference().forward(ids, null)) {
                r.output();
            }
        } else {
            try (RunResult r = lm.inference().runWithCache(ids, null, points)) {
                if (r.cache().names().size() != points.length) {
                    throw new IllegalStateException("the cache holds " + r.cache().names().size() + " of "
                            + points.length + " hook points");
                }
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Runs {@code forwards} forwards with timing hooks on every module; returns the table's printer. */
    Consumer<PrintWriter> breakdown(int forwards) {
        long[][] ids = randomIds();
        ModuleTimes times = new ModuleTimes(lm);
        times.attach();
        try {
            try (InferenceResult warm = lm.inference().forward(ids, null)) {
                times.reset();
            }
            for (int i = 0; i < forwards; i++) {
                try (InferenceResult r = lm.inference().forward(ids, null)) {
                    r.output();
                }
            }
        } finally {
            times.detach();
        }
        return out -> times.print(out, forwards);
    }

    /** One forward, with the detector registered or with no hook at all; returns seconds. */
    private double timeForward(long[][] ids, LayerActivationDetector detector, boolean withHook) {
        String id = withHook ? lm.layers().registerHook(detector.layerSignature(), detector) : null;
        try {
            long start = System.nanoTime();
            try (InferenceResult result = lm.inference().forward(ids, null)) {
                if (result.output() == null) {
                    throw new IllegalStateException("the forward returned no output");
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (withHook && detector.getCaptured() == null) {
                throw new IllegalStateException("the detector on " + detector.layerSignature() + " captured nothing");
            }
            return seconds;
        } finally {
            if (id != null) {
                lm.layers().unregisterHook(id);
                detector.clearCaptured();
            }
        }
    }

    private long[][] randomIds() {
        Random random = new Random(seed);
        int vocab = lm.config().vocabSize();
        long[][] ids = new long[batch][seq];
        for (long[] row : ids) {
            for (int j = 0; j < seq; j++) {
                row[j] = random.nextInt(vocab);
            }
        }
        return ids;
    }

    /**
     * The peer's FLOP count for one forward. GPT-2: 2 x parameters (without position embeddings, lm_head tied to the
     * token embeddings) x tokens, plus the attention products, 4 x layers x batch x seq² x d. Llama: 2 x parameters
     * (without the token embeddings, with the untied head) x tokens, as the peer's {@code llama} counts it.
     */
    static double gflopPerForward(ModelConfig c, int batch, int seq) {
        double d = c.hiddenSize();
        if (c instanceof LlamaConfig l) {
            double q = (double) l.numHeads() * l.headDim();
            double kv = (double) l.numKvHeads() * l.headDim();
            double perLayer = d * q + 2 * d * kv + q * d + 3 * d * l.intermediateSize() + 2 * d;
            double params = l.numLayers() * perLayer + d + (double) l.vocabSize() * d;
            return 2 * params * batch * seq / 1e9;
        }
        double params = (double) c.vocabSize() * d + c.numLayers() * (12 * d * d + 13 * d) + 2 * d;
        double tokens = (double) batch * seq;
        return (2 * params * tokens + 4.0 * c.numLayers() * batch * (double) seq * seq * d) / 1e9;
    }

    static double sum(double[] xs) {
        return Arrays.stream(xs).sum();
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
