package io.microw.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a safetensors header: a tensor's name, dtype, shape and its byte range
 * {@code [begin, end)} within the data section (after the header).
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    /**
     * Checks the name and dtype and copies the shape.
     *
     * @param name  the tensor's name
     * @param dtype its element type
     * @param shape its shape (copied)
     * @param begin its first byte in the data section
     * @param end   one past its last byte in the data section
     */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /**
     * A copy of the shape.
     *
     * @return the shape
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Number of elements: the product of the shape (1 for a scalar).
     *
     * @return the element count
     */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
