package io.microw.store;

import io.microw.io.DType;

import java.util.Arrays;

/**
 * One tensor read back from a store: its dtype as stored, its shape, and its values (floats widened to
 * float32; integer tensors as longs).
 *
 * @param dtype  the dtype in the file (F32, F16, BF16, I64...)
 * @param shape  the shape
 * @param floats the values as float32 for floating dtypes, else {@code null}
 * @param longs  the values for integer and bool dtypes, else {@code null}
 */
public record StoredTensor(DType dtype, long[] shape, float[] floats, long[] longs) {

    /**
     * Number of elements.
     *
     * @return the product of the shape
     */
    public long numel() {
        return Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    /**
     * The float values; an error for an integer tensor.
     *
     * @return the float32 values
     */
    public float[] requireFloats() {
        if (floats == null) {
            throw new StoreException("tensor has integer dtype " + dtype + ", not floats");
        }
        return floats;
    }

    /**
     * The integer values; an error for a floating tensor.
     *
     * @return the integer values
     */
    public long[] requireLongs() {
        if (longs == null) {
            throw new StoreException("tensor has floating dtype " + dtype + ", not integers");
        }
        return longs;
    }

    @Override
    public String toString() {
        return "StoredTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
