package io.microw.io;

import java.util.Arrays;

/** Element types of safetensors tensors, named as in the safetensors header. */
public enum DType {
    /**
     * 32-bit IEEE float.
     */
    F32(4, true),
    /**
     * 16-bit IEEE half-precision float.
     */
    F16(2, true),
    /**
     * 16-bit bfloat16 (the top half of a float32).
     */
    BF16(2, true),
    /**
     * 64-bit IEEE float.
     */
    F64(8, true),
    /**
     * 64-bit signed integer.
     */
    I64(8, false),
    /**
     * 32-bit signed integer.
     */
    I32(4, false),
    /**
     * 8-bit signed integer.
     */
    I8(1, false),
    /**
     * 8-bit unsigned integer.
     */
    U8(1, false),
    /**
     * Boolean, one byte per element.
     */
    BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /**
     * Bytes per element.
     *
     * @return the element size in bytes
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * The dtype string used in safetensors headers, e.g. "BF16".
     *
     * @return the header name
     */
    public String safetensorsName() {
        return name();
    }

    /**
     * The dtype for a safetensors header string; an unknown one is an error listing the known ones.
     *
     * @param s the dtype string of a safetensors header
     * @return the matching dtype
     */
    public static DType fromSafetensorsName(String s) {
        for (DType d : values()) {
            if (d.safetensorsName().equals(s)) {
                return d;
            }
        }
        throw new SafetensorsException("unknown dtype '" + s + "'; known dtypes: " + Arrays.toString(values()));
    }

    /**
     * True for F32, F16, BF16 and F64.
     *
     * @return whether this is a floating-point dtype
     */
    public boolean isFloating() {
        return floating;
    }
}
