package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

import java.util.Objects;
import java.util.function.BiFunction;

/**
 * A scalar computed from a run's logits [batch, seq, vocab] and attention mask: what activation patching and
 * attribution measure. Write one as a lambda, or use {@link #logitDiff} and {@link #logProb}. Gradients need a
 * metric built from tensor operations ({@link #tensor}): the built-in metrics and those made with
 * {@link #differentiable} have one; a lambda returning a float does not.
 */
@FunctionalInterface
public interface LogitMetric {

    /**
     * The metric of a run.
     *
     * @param logits        the run's logits [batch, seq, vocab]
     * @param attentionMask 1 for real tokens, 0 for padding, [batch][seq]; or {@code null} for no padding
     * @return the value
     */
    float apply(NDArray logits, long[][] attentionMask);

    /**
     * The metric of each row on its own, in row order: what {@link #apply} gives for that row alone (a metric summed
     * over rows gives their sum). Unless the metric computes all rows at once, as {@link #logitDiff} and
     * {@link #logProb} do, it is applied to each row's slice in turn.
     *
     * @param logits        the logits [batch, seq, vocab]
     * @param attentionMask 1 for real tokens, 0 for padding, [batch][seq]; or {@code null} for no padding
     * @return one value per row
     */
    default float[] perRow(NDArray logits, long[][] attentionMask) {
        float[] values = new float[(int) logits.getShape().get(0)];
        for (int row = 0; row < values.length; row++) {
            try (NDArray one = logits.get(new NDIndex("{}:{}", row, row + 1))) {
                values[row] = apply(one, attentionMask == null ? null : new long[][] {attentionMask[row]});
            }
        }
        return values;
    }

    /**
     * Whether the metric reads only each row's last real token, so that a run of unpadded rows may compute the
     * logits at the last position alone ({@link Interventions#logitsAtLastPosition()}). False unless the metric says
     * so, as {@link #logitDiff} and {@link #logProb} do.
     *
     * @return true when only the last token's logits matter
     */
    default boolean readsLastTokenOnly() {
        return false;
    }

    /**
     * A metric that reads only each row's last real token ({@link #readsLastTokenOnly()}): {@code read} gets the
     * logits and the mask as {@link #apply} does (and {@link #tensor}, when it has one) and must look at nothing but
     * {@link #lastRealToken}.
     *
     * @param read the metric
     * @return the metric, marked as reading the last token only
     */
    static LogitMetric atLastToken(LogitMetric read) {
        Objects.requireNonNull(read, "read");
        return new LogitMetric() {
            @Override
            public float apply(NDArray logits, long[][] attentionMask) {
                return read.apply(logits, attentionMask);
            }

            @Override
            public NDArray tensor(NDArray logits, long[][] attentionMask) {
                return read.tensor(logits, attentionMask);
            }

            @Override
            public float[] perRow(NDArray logits, long[][] attentionMask) {
                return read.perRow(logits, attentionMask);
            }

            @Override
            public boolean readsLastTokenOnly() {
                return true;
            }
        };
    }

    /**
     * logit[A] − logit[B] at each row's last real token, summed over the rows.
     *
     * @param tokenA the token whose logit counts positively
     * @param tokenB the token whose logit is subtracted
     * @return the metric
     */
    static LogitMetric logitDiff(long tokenA, long tokenB) {
        return new LastTokenMetric(last -> last.get(new NDIndex(":, {}", tokenA))
                .sub(last.get(new NDIndex(":, {}", tokenB))), tokenA, tokenB);
    }

    /**
     * The log-probability of a token at each row's last real token, summed over the rows.
     *
     * @param token the token
     * @return the metric
     */
    static LogitMetric logProb(long token) {
        return new LastTokenMetric(last -> last.logSoftmax(-1).get(new NDIndex(":, {}", token)), token);
    }

    /**
     * The metric as a scalar tensor computed from the logits by tensor operations, so that gradients can flow back
     * through it. A metric written as a lambda returning a float has none and throws.
     *
     * @param logits        the run's logits [batch, seq, vocab]
     * @param attentionMask 1 for real tokens, 0 for padding, [batch][seq]; or {@code null} for no padding
     * @return the value as a scalar tensor, in the logits' manager
     * @throws UnsupportedOperationException when the metric is a plain float function
     */
    default NDArray tensor(NDArray logits, long[][] attentionMask) {
        throw new UnsupportedOperationException("this metric is a plain function returning a float, so no gradient can"
                + " flow through it; build it with LogitMetric.logitDiff, LogitMetric.logProb or"
                + " LogitMetric.differentiable(tensor function)");
    }

    /**
     * A metric from a function of the logits made of tensor operations: usable for patching and for gradients.
     * Multiply, divide or raise by a number with {@link io.microw.nn.Autograd#times},
     * {@link io.microw.nn.Autograd#over} and {@link io.microw.nn.Autograd#pow}: DJL's own number operands are not safe
     * to differentiate through.
     *
     * @param function maps logits [batch, seq, vocab] and the mask (or {@code null}) to a scalar tensor
     * @return the metric
     */
    static LogitMetric differentiable(BiFunction<NDArray, long[][], NDArray> function) {
        return new TensorMetric(function);
    }

    /**
     * The logits [vocab] of a row at its last real token (the last position whose mask is 1, or the last position
     * without a mask). The array belongs to the logits' manager; close it when done.
     *
     * @param logits        logits [batch, seq, vocab]
     * @param attentionMask the mask, or {@code null}
     * @param row           the row
     * @return the row's last real token's logits
     */
    static NDArray lastRealToken(NDArray logits, long[][] attentionMask, int row) {
        int last = (int) logits.getShape().get(1) - 1;
        if (attentionMask != null) {
            while (last > 0 && attentionMask[row][last] == 0) {
                last--;
            }
        }
        return logits.get(new NDIndex("{}, {}", row, last));
    }
}
