package io.microw.sae.train;

import java.util.List;

/**
 * The outcome of a training: steps and tokens trained, batches skipped for non-finite values, wall time, the
 * metrics history and each latent's firing frequency over the whole training.
 */
public record TrainingResult(long steps, long tokens, long skippedBatches, double seconds,
                             List<TrainingMetrics> history, double[] firingFrequencies) {

    /**
     * The last metrics line.
     *
     * @return the last metrics
     */
    public TrainingMetrics last() {
        if (history.isEmpty()) {
            throw new IllegalStateException("no metrics were logged (no steps ran)");
        }
        return history.get(history.size() - 1);
    }

    /**
     * Tokens per second over the whole training.
     *
     * @return the throughput
     */
    public double tokensPerSecond() {
        return seconds > 0 ? tokens / seconds : 0;
    }
}
