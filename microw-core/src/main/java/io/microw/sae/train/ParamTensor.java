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

    /**
     * Σ over the rows of the squared norm of the gradient without its component along the row: the gradient that
     * {@link #adam} applies with {@code unitRows}.
     */
    double gradSquaredSumOrthogonalToRows() {
        double s = 0;
        for (int r = 0; r < rows; r++) {
            int from = r * cols;
            int to = from + cols;
            double gg = dot(grad, grad, from, to);
            double wg = dot(data, grad, from, to);
            double ww = dot(data, data, from, to);
            s += ww == 0 ? gg : Math.max(0, gg - wg * wg / ww);
        }
        return s;
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
     * With {@code unitRows} (a decoder whose rows stay at unit norm) each row's gradient first loses its component
     * along the row, and the updated row is scaled back to unit norm (a zero row stays zero): one pass over each
     * row while it is in cache.
     */
    void adam(Workers workers, float lr, float beta1, float beta2, float eps, long step, float gradScale,
              boolean unitRows) {
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        workers.forRange(rows, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * cols;
                int end = base + cols;
                if (unitRows) {
                    removeComponentAlongRow(base, end);
                }
                for (int i = base; i < end; i++) {
                    float g = grad[i] * gradScale;
                    float mi = beta1 * m[i] + (1 - beta1) * g;
                    float vi = beta2 * v[i] + (1 - beta2) * g * g;
                    m[i] = mi;
                    v[i] = vi;
                    data[i] -= stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps);
                    grad[i] = 0f;
                }
                if (unitRows) {
                    scaleToUnitNorm(base, end);
                }
            }
        });
    }

    private void removeComponentAlongRow(int from, int to) {
        double norm = dot(data, data, from, to);
        if (norm == 0) {
            return;
        }
        float f = (float) (dot(data, grad, from, to) / norm);
        for (int i = from; i < to; i++) {
            grad[i] = grad[i] - f * data[i];
        }
    }

    private void scaleToUnitNorm(int from, int to) {
        double norm = dot(data, data, from, to);
        if (norm == 0) {
            return;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = from; i < to; i++) {
            data[i] = data[i] * inv;
        }
    }

    /**
     * {@code Σ a[i]·b[i]} over {@code [from, to)} in double, with four partial sums (a single running sum waits on
     * each addition).
     */
    private static double dot(float[] a, float[] b, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < to; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
