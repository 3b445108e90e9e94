package io.microw.cli;

import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

import java.util.Random;

/**
 * Times what attribution patching costs per input: a forward and a backward pass of a logit difference with the
 * gradient kept at every block input ({@code blocks.*.hook_resid_pre}), as the PyTorch peer's {@code gradients}
 * workload does.
 */
final class GradientsBenchmark {

    /** What one workload measured: its shape and each timed call's seconds. */
    record Result(String id, String model, int batch, int seq, double[] seconds) {

        /** Tokens/s: all timed tokens over the total time (the peer's definition). */
        double tokensPerSecond() {
            double total = 0;
            for (double s : seconds) {
                total += s;
            }
            return (double) batch * seq * seconds.length / total;
        }
    }

    private GradientsBenchmark() {
    }

    /**
     * Runs {@code warmup} untimed and {@code reps} timed gradient calls of {@code lm} on {@code batch} x {@code seq}
     * random tokens, the metric logit[1] − logit[2] at the last position summed over the rows.
     */
    static Result run(ForwardWorkload w, LanguageModel lm, int batch, int seq, int reps, int warmup, long seed) {
        Random random = new Random(seed);
        long[][] ids = new long[batch][seq];
        for (long[] row : ids) {
            for (int i = 0; i < seq; i++) {
                row[i] = random.nextInt(lm.config().vocabSize());
            }
        }
        LogitMetric metric = LogitMetric.logitDiff(1, 2);
        double[] seconds = new double[reps];
        for (int i = -warmup; i < reps; i++) {
            long start = System.nanoTime();
            lm.gradients().of(ids, null, metric, "blocks.*.hook_resid_pre").close();
            if (i >= 0) {
                seconds[i] = (System.nanoTime() - start) / 1e9;
            }
        }
        return new Result(w.id, w.label, batch, seq, seconds);
    }
}
