package io.microw.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * One trainable tensor with its gradient and Adam moments, all in direct native-order buffers: the sparse
 * kernels read and write them from Java, and {@link #view} hands the values to the engine (DJL's PyTorch
 * engine wraps a direct buffer without copying) for the dense products. Shape is {@code [rows, cols]}
 * ({@code cols} 1 for a vector).
 */
final class ParamTensor {

    final String name;
    final int rows;
    final int cols;
    private final ByteBuffer dataBytes;
    final FloatBuffer data;
    final FloatBuffer grad;
    final FloatBuffer m;
    final FloatBuffer v;

    ParamTensor(String name, int rows, int cols, float[] initial) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        int n = rows * cols;
        if (initial.length != n) {
            throw new IllegalArgumentException(name + ": expected " + n + " values, got " + initial.length);
        }
        this.dataBytes = direct(n);
        this.data = dataBytes.asFloatBuffer();
        this.data.put(0, initial);
        this.grad = direct(n).asFloatBuffer();
        this.m = direct(n).asFloatBuffer();
        this.v = direct(n).asFloatBuffer();
    }

    private static ByteBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
    }

    int size() {
        return rows * cols;
    }

    /** The values as an NDArray of shape [rows, cols] (or [rows] for a vector) in {@code manager}. */
    NDArray view(NDManager manager) {
        Shape shape = cols == 1 ? new Shape(rows) : new Shape(rows, cols);
        return manager.create(dataBytes.duplicate().order(ByteOrder.nativeOrder()), shape, DataType.FLOAT32);
    }

    /** A copy of the values. */
    float[] values() {
        float[] out = new float[size()];
        data.get(0, out);
        return out;
    }

    /** A copy of the gradient. */
    float[] gradient() {
        float[] out = new float[size()];
        grad.get(0, out);
        return out;
    }

    /** Adds a dense gradient. */
    void addGradient(float[] g) {
        for (int i = 0; i < g.length; i++) {
            grad.put(i, grad.get(i) + g[i]);
        }
    }

    /** Σ grad² over the rows marked (all rows when {@code touched} is null). */
    double gradSquaredSum(boolean[] touched) {
        double s = 0;
        for (int r = 0; r < rows; r++) {
            if (touched != null && !touched[r]) {
                continue;
            }
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                float g = grad.get(base + c);
                s += g * g;
            }
        }
        return s;
    }

    /**
     * One Adam update of every element (PyTorch's Adam: bias-corrected moments, eps outside the square root),
     * with the gradient multiplied by {@code gradScale} first (gradient clipping); the gradient is zeroed after.
     */
    void adam(Workers workers, float lr, float beta1, float beta2, float eps, long step, float gradScale) {
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        workers.forRange(size(), (part, from, to) -> {
            for (int i = from; i < to; i++) {
                float g = grad.get(i) * gradScale;
                float mi = beta1 * m.get(i) + (1 - beta1) * g;
                float vi = beta2 * v.get(i) + (1 - beta2) * g * g;
                m.put(i, mi);
                v.put(i, vi);
                data.put(i, data.get(i) - stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps));
                grad.put(i, 0f);
            }
        });
    }
}
