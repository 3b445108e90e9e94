package io.microw.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * One trainable tensor with its gradient and Adam moments, as plain float arrays: the sparse kernels and Adam read
 * and write them in Java loops (which the JIT vectorises), and {@link #view} copies the values into the engine for
 * the dense products. Shape is {@code [rows, cols]} ({@code cols} 1 for a vector).
 */
final class ParamTensor {

    final String name;
    final int rows;
    final int cols;
    final float[] data;
    final float[] grad;
    final float[] m;
    final float[] v;

    ParamTensor(String name, int rows, int cols, float[] initial) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        int n = rows * cols;
        if (initial.length != n) {
            throw new IllegalArgumentException(name + ": expected " + n + " values, got " + initial.length);
        }
        this.data = initial.clone();
        this.grad = new float[n];
        this.m = new float[n];
        this.v = new float[n];
    }

    int size() {
        return rows * cols;
    }

    /** The values as an NDArray of shape [rows, cols] (or [rows] for a vector) in {@code manager} (a copy). */
    NDArray view(NDManager manager) {
        Shape shape = cols == 1 ? new Shape(rows) : new Shape(rows, cols);
        return manager.create(data, shape);
    }

    /** A copy of the values. */
    float[] values() {
        return data.clone();
    }

    /** A copy of the gradient. */
    float[] gradient() {
        return grad.clone();
    }

    /** Adds a dense gradient. */
    void addGradient(float[] g) {
        for (int i = 0; i < g.length; i++) {
            grad[i] += g[i];
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
                float g = grad[base + c];
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
                float g = grad[i] * gradScale;
                float mi = beta1 * m[i] + (1 - beta1) * g;
                float vi = beta2 * v[i] + (1 - beta2) * g * g;
                m[i] = mi;
                v[i] = vi;
                data[i] -= stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps);
                grad[i] = 0f;
            }
        });
    }
}
