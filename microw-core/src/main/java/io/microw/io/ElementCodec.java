package io.microw.io;

import java.nio.ByteBuffer;

/** Decodes packed floating elements (F32, F16, BF16, F64) and gathers strided layouts into row-major order. */
final class ElementCodec {

    private ElementCodec() {
    }

    /** {@code count} elements of {@code dtype} from {@code b} (its byte order and position) as float32. */
    static float[] decode(ByteBuffer b, DType dtype, int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = switch (dtype) {
                case F32 -> b.getFloat();
                case F16 -> HalfFloats.halfToFloat(b.getShort());
                case BF16 -> HalfFloats.bf16ToFloat(b.getShort());
                case F64 -> (float) b.getDouble();
                default -> throw new IllegalArgumentException("not a floating dtype: " + dtype);
            };
        }
        return out;
    }

    /**
     * The elements of a strided view ({@code src[offset + Σ index_k·stride_k]}) in row-major order.
     *
     * @param src the storage
     * @param shape the view's shape
     * @param strides the view's strides, in elements
     * @param offset the view's first element in the storage
     * @return the view's values, row-major
     */
    static float[] gather(float[] src, long[] shape, long[] strides, long offset) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] out = new float[Math.toIntExact(n)];
        long[] index = new long[shape.length];
        long at = offset;
        for (int i = 0; i < out.length; i++) {
            out[i] = src[Math.toIntExact(at)];
            for (int k = shape.length - 1; k >= 0; k--) {
                index[k]++;
                at += strides[k];
                if (index[k] < shape[k]) {
                    break;
                }
                at -= strides[k] * shape[k];
                index[k] = 0;
            }
        }
        return out;
    }

    /** The largest storage index a strided view touches, plus one (0 for an empty view). */
    static long extent(long[] shape, long[] strides, long offset) {
        long last = offset;
        for (int k = 0; k < shape.length; k++) {
            if (shape[k] == 0) {
                return 0;
            }
            last += (shape[k] - 1) * strides[k];
        }
        return last + 1;
    }
}
