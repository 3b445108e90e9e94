package io.microw.cli;

import io.microw.analysis.ActivationPatching;
import io.microw.analysis.PatchingSweeps;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

import java.util.Random;

/**
 * Times residual-stream activation patching ({@link ActivationPatching#residPre}) over every (layer, position) cell
 * of random clean and corrupted prompts, as the PyTorch peer's {@code patching} workload does one hooked forward per
 * cell.
 */
final class PatchingBenchmark {

    /** What one workload measured: cells per sweep, and each timed sweep's seconds. */
    record Result(String id, String model, int seq, int corruptAt, int cells, int maxBatch, double[] seconds) {

        /** Cells/s: all timed cells over the total time (the peer's definition). */
        double cellsPerSecond() {
            double total = 0;
            for (double s : seconds) {
                total += s;
            }
            return cells * seconds.length / total;
        }
    }

    private PatchingBenchmark() {
    }

    /**
     * Runs {@code warmup} untimed and {@code reps} timed sweeps of {@code lm} over prompts of {@code seq} random
     * tokens (the corrupted one differs at position {@code corruptAt}), measuring the logit difference of tokens 0
     * and 1.
     */
    static Result run(ForwardWorkload w, LanguageModel lm, int seq, int corruptAt, int maxBatch, int reps, int warmup,
                      long seed) {
        Random random = new Random(seed);
        int vocab = lm.config().vocabSize();
        long[] clean = new long[seq];
        for (int i = 0; i < seq; i++) {
            clean[i] = random.nextInt(vocab);
        }
        long[] corrupt = clean.clone();
        corrupt[corruptAt] = (clean[corruptAt] + 1) % vocab;
        long[][] c = {clean};
        long[][] d = {corrupt};
        LogitMetric metric = LogitMetric.logitDiff(0, 1);
        PatchingSweeps patching = ActivationPatching.defaults().withMaxBatch(maxBatch);
        for (int i = 0; i < warmup; i++) {
            patching.residPre(lm, c, d, metric);
        }
        double[] seconds = new double[reps];
        for (int i = 0; i < reps; i++) {
            long start = System.nanoTime();
            patching.residPre(lm, c, d, metric);
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        return new Result(w.id, w.label, seq, corruptAt, lm.config().numLayers() * seq, maxBatch, seconds);
    }
}
