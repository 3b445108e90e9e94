package io.microw.io;

import java.util.Arrays;

/** Element types of safetensors tensors, named as in the safetensors header. */
public enum DType {
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    F64(8, true),
    I64(8, false),
    I32(4, false),
    I8(1, false),
    U8(1, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype string used in safetensors headers, e.g. "BF16". */
    public String safetensorsName() {
        return name();
    }

    /** The dtype for a safetensors header string; an unknown one is an error listing the known ones. */
    public static DType fromSafetensorsName(String s) {
        for (DType d : values()) {
            if (d.safetensorsName().equals(s)) {
                return d;
            }
        }
        throw new SafetensorsException("unknown dtype '" + s + "'; known dtypes: " + Arrays.toString(values()));
    }

    /** True for F32, F16, BF16 and F64. */
    public boolean isFloating() {
        return floating;
    }
}
