package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

/** The check a gradient-based attribution makes on its metric before any forward. */
final class MetricCheck {

    private MetricCheck() {
    }

    /**
     * Refuses a metric without a tensor form ({@link LogitMetric#tensor}) or whose tensor is not a single number, by
     * applying it to zero logits of the batch's shape.
     *
     * @param lm     the model, for its vocabulary and device
     * @param metric the metric
     * @param rows   the batch's rows
     * @param seq    the batch's positions
     * @throws IllegalArgumentException naming what is wrong
     */
    static void requireDifferentiable(LanguageModel lm, LogitMetric metric, int rows, int seq) {
        int vocab = lm.config().vocabSize();
        try (NDManager probe = NDManager.newBaseManager(lm.device())) {
            // zero logits of the batch's shape, one position's memory broadcast over the others
            NDArray value = metric.tensor(probe.zeros(new Shape(1, 1, vocab)).broadcast(rows, seq, vocab), null);
            if (value == null || value.size() != 1) {
                throw new IllegalArgumentException("the metric must be a single number to attribute, but it gives "
                        + (value == null ? "null" : "a tensor of shape " + value.getShape())
                        + "; reduce it to a scalar (sum or mean over rows)");
            }
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException("attribution needs a differentiable metric, and this one has no tensor"
                    + " form: " + e.getMessage(), e);
        }
    }
}
