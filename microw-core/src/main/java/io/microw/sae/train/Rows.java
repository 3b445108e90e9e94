package io.microw.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Matrices held as one float array per row (the training step's layout, see {@link ParamTensor}) and their
 * row-major flat form.
 */
final class Rows {

    private Rows() {
    }

    /** {@code buffer} when it is {@code [rows][cols]}, else new arrays of that shape (contents undefined). */
    static float[][] reuse(float[][] buffer, int rows, int cols) {
        return buffer != null && buffer.length == rows && (rows == 0 || buffer[0].length == cols) ? buffer
                : new float[rows][cols];
    }

    /** {@code [rows][cols]} arrays holding a row-major {@code flat} (a copy). */
    static float[][] split(float[] flat, int rows, int cols) {
        if (flat.length != (long) rows * cols) {
            throw new IllegalArgumentException("expected " + rows + " x " + cols + " values, got " + flat.length);
        }
        float[][] out = new float[rows][];
        for (int r = 0; r < rows; r++) {
            out[r] = Arrays.copyOfRange(flat, r * cols, (r + 1) * cols);
        }
        return out;
    }

    /** The row-major concatenation of {@code rows} (a copy). */
    static float[] flat(float[][] rows) {
        int n = 0;
        for (float[] row : rows) {
            n += row.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] row : rows) {
            System.arraycopy(row, 0, out, at, row.length);
            at += row.length;
        }
        return out;
    }

    /** Copies the row-major {@code flat} into {@code rows}, which must hold exactly as many values. */
    static void copyInto(float[] flat, float[][] rows) {
        long total = 0;
        for (float[] row : rows) {
            total += row.length;
        }
        if (flat.length != total) {
            throw new IllegalArgumentException("expected " + total + " values, got " + flat.length);
        }
        int at = 0;
        for (float[] row : rows) {
            System.arraycopy(flat, at, row, 0, row.length);
            at += row.length;
        }
    }

    /**
     * Writes {@code rows} ({@code [n][cols]}) into {@code buffer}, row-major, allocating a direct buffer when
     * {@code buffer} is null or too small; returns the buffer written.
     */
    static ByteBuffer fill(ByteBuffer buffer, float[][] rows, int cols) {
        long bytes = (long) Float.BYTES * rows.length * cols;
        ByteBuffer b = buffer != null && buffer.capacity() >= bytes ? buffer
                : ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.nativeOrder());
        FloatBuffer f = b.asFloatBuffer();
        for (int r = 0; r < rows.length; r++) {
            f.put(r * cols, rows[r]);
        }
        return b;
    }

    /**
     * An engine array {@code [n, cols]} over {@code buffer} as {@link #fill} left it (no copy on the CPU; the array
     * keeps the buffer alive, and reads what the buffer holds until it is refilled).
     */
    static NDArray engineArray(NDManager manager, ByteBuffer buffer, int n, int cols) {
        ByteBuffer first = buffer.duplicate().order(ByteOrder.nativeOrder());
        first.limit(Float.BYTES * n * cols);
        return manager.create(first, new Shape(n, cols), DataType.FLOAT32);
    }
}
