package io.microw.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * One trainable tensor with its gradient and Adam moments, as plain float arrays that the sparse kernels and Adam
 * read and write in Java loops: one array per row of a matrix, a single array for a vector. Every loop then indexes
 * all its arrays from 0, the form Java 17's JIT vectorises; it leaves scalar a loop whose arrays start at different
 * offsets (rows of one flat matrix), about ten times slower for a row update of 768 values. {@link #view} gives the
 * engine a matrix's values from a copy that {@link #adam} updates row by row. Shape is {@code [rows, cols]} ({@code
 * cols} 1 for a vector).
 */
final class ParamTensor {

    final String name;
    final int rows;
    final int cols;
    /**
     * Values, one array per row ({@code [1][rows]} for a vector). Code that writes them other than through
     * {@link #adam} or {@link #restore} calls {@link #valuesChanged} after.
     */
    final float[][] data;
    final float[][] grad;
    final float[][] m;
    final float[][] v;
    /**
     * A matrix's values row-major in a direct buffer, for the engine ({@link #view}); null before the first view.
     * While {@link #engineCopyCurrent}, {@link #adam} writes each updated row into it while the row is in cache.
     */
    private ByteBuffer engineCopy;
    private boolean engineCopyCurrent;

    ParamTensor(String name, int rows, int cols, float[] initial) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        int n = rows * cols;
        if (initial.length != n) {
            throw new IllegalArgumentException(name + ": expected " + n + " values, got " + initial.length);
        }
        this.data = Rows.split(initial, blocks(), blockLength());
        this.grad = new float[blocks()][blockLength()];
        this.m = new float[blocks()][blockLength()];
        this.v = new float[blocks()][blockLength()];
    }

    private boolean isVector() {
        return cols == 1;
    }

    private int blocks() {
        return isVector() ? 1 : rows;
    }

    private int blockLength() {
        return isVector() ? rows : cols;
    }

    int size() {
        return rows * cols;
    }

    /** A vector's values, the live array. */
    float[] vector() {
        requireVector();
        return data[0];
    }

    /** A vector's gradient, the live array. */
    float[] vectorGradient() {
        requireVector();
        return grad[0];
    }

    private void requireVector() {
        if (!isVector()) {
            throw new IllegalStateException(name + " is a [" + rows + ", " + cols + "] matrix, not a vector");
        }
    }

    /**
     * The values as an NDArray of shape [rows, cols] (or [rows] for a vector) in {@code manager}. A vector is copied; a
     * matrix's array reads this tensor's own direct buffer, copied in full on the first call and after {@link
     * #valuesChanged}, otherwise as {@link #adam} left it (each updated row written there), so that the engine
     * allocates nothing and a step copies nothing: close the array before the next update.
     */
    NDArray view(NDManager manager) {
        if (isVector()) {
            return manager.create(data[0], new Shape(rows));
        }
        if (!engineCopyCurrent) {
            engineCopy = Rows.fill(engineCopy, data, cols);
            engineCopyCurrent = true;
        }
        return Rows.engineArray(manager, engineCopy, rows, cols);
    }

    /** Marks the values as changed other than through {@link #adam}: the next {@link #view} copies them all. */
    void valuesChanged() {
        engineCopyCurrent = false;
    }

    /** A row-major copy of the values. */
    float[] values() {
        return Rows.flat(data);
    }

    /** A row-major copy of the gradient. */
    float[] gradient() {
        return Rows.flat(grad);
    }

    /** Row-major copies of the Adam moments, {@code m} then {@code v}. */
    float[][] moments() {
        return new float[][] {Rows.flat(m), Rows.flat(v)};
    }

    /** Sets the values and Adam moments from row-major arrays of {@link #size} values each. */
    void restore(float[] values, float[] firstMoment, float[] secondMoment) {
        Rows.copyInto(values, data);
        valuesChanged();
        Rows.copyInto(firstMoment, m);
        Rows.copyInto(secondMoment, v);
    }

    /** Zeroes the Adam moments of one row (a matrix) or one element (a vector). */
    void resetMoments(int index) {
        if (isVector()) {
            m[0][index] = 0f;
            v[0][index] = 0f;
        } else {
            Arrays.fill(m[index], 0f);
            Arrays.fill(v[index], 0f);
        }
    }

    /** Adds a dense gradient, row-major. */
    void addGradient(float[] g) {
        int length = blockLength();
        for (int b = 0; b < grad.length; b++) {
            float[] row = grad[b];
            int base = b * length;
            for (int i = 0; i < length; i++) {
                row[i] += g[base + i];
            }
        }
    }

    /**
     * Σ over the rows of the squared norm of the gradient without its component along the row: the gradient that
     * {@link #adam} applies with {@code unitRows}.
     */
    double gradSquaredSumOrthogonalToRows() {
        double s = 0;
        for (int r = 0; r < grad.length; r++) {
            double gg = dot(grad[r], grad[r]);
            double wg = dot(data[r], grad[r]);
            double ww = dot(data[r], data[r]);
            s += ww == 0 ? gg : Math.max(0, gg - wg * wg / ww);
        }
        return s;
    }

    /** Σ grad² over the rows marked (all rows when {@code touched} is null, or for a vector). */
    double gradSquaredSum(boolean[] touched) {
        double s = 0;
        for (int r = 0; r < grad.length; r++) {
            if (touched != null && !isVector() && !touched[r]) {
                continue;
            }
            for (float g : grad[r]) {
                s += g * g;
            }
        }
        return s;
    }

    /**
     * One Adam update of every element (PyTorch's Adam: bias-corrected moments, eps outside the square root),
     * with the gradient multiplied by {@code gradScale} first (gradient clipping); the gradient is zeroed after.
     * With {@code unitRows} (a decoder whose rows stay at unit norm) each row's gradient first loses its component
     * along the row, and the updated row is scaled back to unit norm (a zero row stays zero): each row while it is in
     * cache, its sums in float with the products vectorised (three double sums a row took the decoder's update from
     * 14 to 38 ms at 24576 × 768). Each updated row is also written into the {@link #view} copy when it is
     * current.
     */
    void adam(Workers workers, float lr, float beta1, float beta2, float eps, long step, float gradScale,
              boolean unitRows) {
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        FloatBuffer copy = engineCopyCurrent ? engineCopy.asFloatBuffer() : null;
        workers.forRange(data.length, (part, from, to) -> {
            float[] squares = unitRows ? new float[data[0].length] : null;
            float[] products = unitRows ? new float[data[0].length] : null;
            for (int r = from; r < to; r++) {
                if (unitRows) {
                    adamUnitRow(r, stepSize, beta1, beta2, eps, bc2Sqrt, gradScale, squares, products);
                } else {
                    adamRow(r, stepSize, beta1, beta2, eps, bc2Sqrt, gradScale);
                }
                if (copy != null) {
                    copy.put(r * cols, data[r]); // absolute: threads write their own rows of the shared buffer
                }
            }
        });
    }

    /** Adam on one row (or a vector's one array). */
    private void adamRow(int r, float stepSize, float beta1, float beta2, float eps, float bc2Sqrt, float gradScale) {
        float[] w = data[r];
        float[] g = grad[r];
        float[] mr = m[r];
        float[] vr = v[r];
        for (int i = 0; i < w.length; i++) {
            float gi = g[i] * gradScale;
            float mi = beta1 * mr[i] + (1 - beta1) * gi;
            float vi = beta2 * vr[i] + (1 - beta2) * gi * gi;
            mr[i] = mi;
            vr[i] = vi;
            w[i] -= stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps);
            g[i] = 0f;
        }
    }

    /**
     * Adam on one row of a unit-norm decoder, in three passes over it: the row's squared norm and its product with
     * the gradient; the update, with the gradient less its component along the row and the new row's squares; the
     * scaling back to unit norm (a zero row stays zero).
     */
    private void adamUnitRow(int r, float stepSize, float beta1, float beta2, float eps, float bc2Sqrt,
                             float gradScale, float[] squares, float[] products) {
        float[] w = data[r];
        float[] g = grad[r];
        float[] mr = m[r];
        float[] vr = v[r];
        for (int i = 0; i < w.length; i++) {
            squares[i] = w[i] * w[i];
            products[i] = w[i] * g[i];
        }
        float norm = SparseKernels.sum(squares);
        float along = norm == 0 ? 0f : SparseKernels.sum(products) / norm;
        for (int i = 0; i < w.length; i++) {
            float gi = (g[i] - along * w[i]) * gradScale;
            float mi = beta1 * mr[i] + (1 - beta1) * gi;
            float vi = beta2 * vr[i] + (1 - beta2) * gi * gi;
            mr[i] = mi;
            vr[i] = vi;
            float wi = w[i] - stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps);
            w[i] = wi;
            squares[i] = wi * wi;
            g[i] = 0f;
        }
        float updatedNorm = SparseKernels.sum(squares);
        if (updatedNorm == 0) {
            return;
        }
        float inv = (float) (1 / Math.sqrt(updatedNorm));
        for (int i = 0; i < w.length; i++) {
            w[i] = w[i] * inv;
        }
    }

    /**
     * {@code Σ a[i]·b[i]} in double, with four partial sums (a single running sum waits on each addition).
     */
    static double dot(float[] a, float[] b) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int n = a.length;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
