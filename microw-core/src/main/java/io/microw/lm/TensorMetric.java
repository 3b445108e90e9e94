package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * A {@link LogitMetric} defined by tensor operations: its float value is the tensor's, computed in a scope that
 * frees the intermediate arrays at once (the logits' manager keeps nothing).
 */
final class TensorMetric implements LogitMetric {

    private final BiFunction<NDArray, long[][], NDArray> function;

    TensorMetric(BiFunction<NDArray, long[][], NDArray> function) {
        this.function = Objects.requireNonNull(function, "function");
    }

    @Override
    public float apply(NDArray logits, long[][] attentionMask) {
        return inScope(logits, () -> tensor(logits, attentionMask).toType(DataType.FLOAT32, false).getFloat());
    }

    /**
     * Runs {@code work} on the logits in a scope that frees every array it makes when it returns (the logits'
     * manager keeps nothing).
     */
    static <T> T inScope(NDArray logits, Supplier<T> work) {
        try (NDManager scope = logits.getManager().newSubManager()) {
            scope.tempAttachAll(logits);
            return work.get();
        }
    }

    @Override
    public NDArray tensor(NDArray logits, long[][] attentionMask) {
        NDArray value = function.apply(logits, attentionMask);
        if (value == null || value.size() != 1) {
            throw new IllegalArgumentException("a metric must be a single number, but this one gave "
                    + (value == null ? "null" : "a tensor of shape " + value.getShape()));
        }
        return value;
    }
}
