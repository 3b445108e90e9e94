package io.microw.io;

import java.util.Arrays;

/**
 * A tensor read from a numpy or PyTorch file, widened to float32 on the heap, row-major (C order).
 *
 * @param shape the shape ({@code []} for a scalar)
 * @param values the values, row-major; {@code product(shape)} of them
 * @param dtype the element type as the file named it ({@code "<f4"}, {@code "torch.BFloat16Storage"}, ...)
 */
public record FloatArray(long[] shape, float[] values, String dtype) {

    /**
     * Checks that the number of values matches the shape.
     *
     * @param shape the shape
     * @param values the values, row-major
     * @param dtype the element type as the file named it
     */
    public FloatArray {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != values.length) {
            throw new TensorFileException("array of shape " + Arrays.toString(shape) + " needs " + n
                    + " values, got " + values.length);
        }
    }

    /**
     * The shape as text, e.g. {@code [16, 64]}.
     *
     * @return the shape
     */
    public String shapeText() {
        return Arrays.toString(shape);
    }
}
