package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

import java.util.function.UnaryOperator;

/**
 * A {@link LogitMetric} that maps the logits at every row's last real token, [batch, vocab], to one value per row
 * at once (no loop over rows); the metric is their sum. Built by {@link LogitMetric#logitDiff} and
 * {@link LogitMetric#logProb}.
 */
final class LastTokenMetric implements LogitMetric {

    private final UnaryOperator<NDArray> ofRows;
    private final long[] tokens;

    /**
     * @param ofRows maps [batch, vocab] to [batch] by tensor operations
     * @param tokens the vocabulary ids it reads, checked against the logits' vocabulary
     */
    LastTokenMetric(UnaryOperator<NDArray> ofRows, long... tokens) {
        this.ofRows = ofRows;
        this.tokens = tokens.clone();
    }

    @Override
    public float apply(NDArray logits, long[][] attentionMask) {
        return TensorMetric.inScope(logits,
                () -> tensor(logits, attentionMask).toType(DataType.FLOAT32, false).getFloat());
    }

    @Override
    public NDArray tensor(NDArray logits, long[][] attentionMask) {
        return rows(logits, attentionMask).sum();
    }

    @Override
    public float[] perRow(NDArray logits, long[][] attentionMask) {
        return TensorMetric.inScope(logits,
                () -> rows(logits, attentionMask).toType(DataType.FLOAT32, false).toFloatArray());
    }

    @Override
    public boolean readsLastTokenOnly() {
        return true;
    }

    /** The metric of each row, [batch]. */
    private NDArray rows(NDArray logits, long[][] attentionMask) {
        long vocab = logits.getShape().get(2);
        for (long token : tokens) {
            if (token < 0 || token >= vocab) {
                throw new IllegalArgumentException("token " + token + " is out of range: the vocabulary has " + vocab
                        + " tokens (0.." + (vocab - 1) + ")");
            }
        }
        return ofRows.apply(lastTokens(logits, attentionMask));
    }

    /** The logits at each row's last real token, [batch, vocab]: one slice without padding, one per row with. */
    private static NDArray lastTokens(NDArray logits, long[][] attentionMask) {
        if (attentionMask == null) {
            return logits.get(new NDIndex(":, -1, :"));
        }
        NDList rows = new NDList();
        for (int row = 0; row < logits.getShape().get(0); row++) {
            rows.add(LogitMetric.lastRealToken(logits, attentionMask, row));
        }
        return NDArrays.stack(rows);
    }
}
