package io.microw.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Mean, standard deviation, minimum and maximum of a tensor, computed on the heap in double precision. */
record TensorStats(long count, double mean, double std, double min, double max) {

    static TensorStats of(NDArray array) {
        float[] values = array.getDataType() == DataType.FLOAT32
                ? array.toFloatArray() : array.toType(DataType.FLOAT32, false).toFloatArray();
        return of(values);
    }

    static TensorStats of(float[] values) {
        if (values.length == 0) {
            return new TensorStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (float v : values) {
            sum += v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double mean = sum / values.length;
        double squares = 0;
        for (float v : values) {
            squares += (v - mean) * (v - mean);
        }
        return new TensorStats(values.length, mean, Math.sqrt(squares / values.length), min, max);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "mean %.4f  std %.4f  min %.4f  max %.4f", mean, std, min, max);
    }
}
