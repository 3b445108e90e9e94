package io.microw.lm;

import java.time.Duration;
import java.util.Optional;

/**
 * How far an activation-saving run has got, reported after each batch is safely on disk.
 *
 * @param runId           the run being saved
 * @param batchesDone     complete batches, including those a resumed run found already saved
 * @param batchesTotal    batches the dataset makes, or -1 when its length is unknown
 * @param tokens          tokens (attention mask 1) saved by this session
 * @param elapsed         time since this session started
 * @param tokensPerSecond {@code tokens / elapsed}
 * @param batchesThisSession batches computed and saved by this session (not found already saved)
 */
public record SaveProgress(String runId, long batchesDone, long batchesTotal, long tokens, Duration elapsed,
                           double tokensPerSecond, long batchesThisSession) {

    /**
     * Estimated time left, when the total is known and at least one batch was saved by this session.
     *
     * @return the estimate, or empty
     */
    public Optional<Duration> eta() {
        if (batchesTotal < 0 || batchesThisSession == 0) {
            return Optional.empty();
        }
        long left = Math.max(0, batchesTotal - batchesDone);
        return Optional.of(elapsed.multipliedBy(left).dividedBy(batchesThisSession));
    }

    /**
     * Fraction of batches done in [0, 1], or -1 when the total is unknown.
     *
     * @return the fraction, or -1
     */
    public double fraction() {
        return batchesTotal <= 0 ? -1 : Math.min(1.0, (double) batchesDone / batchesTotal);
    }
}
