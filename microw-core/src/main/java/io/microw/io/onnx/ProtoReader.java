package io.microw.io.onnx;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads one protobuf message in wire format from a region of a byte array: tags, varints, fixed 32/64-bit values
 * and length-delimited fields, each checked against the region's end, so a truncated or corrupt file is an
 * {@link OnnxException} naming the file, the field and the byte offset rather than an index error.
 */
final class ProtoReader {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final Path file;
    private final byte[] data;
    private final String message;
    private int pos;
    private final int end;
    private int field;
    private int wireType;

    ProtoReader(Path file, byte[] data, int start, int end, String message) {
        this.file = file;
        this.data = data;
        this.pos = start;
        this.end = end;
        this.message = message;
    }

    /** Whether another field follows; reads its tag. */
    boolean next() {
        if (pos >= end) {
            return false;
        }
        int at = pos;
        long tag = varint();
        field = (int) (tag >>> 3);
        wireType = (int) (tag & 7);
        if (field <= 0 || (wireType != VARINT && wireType != FIXED64 && wireType != LENGTH_DELIMITED
                && wireType != FIXED32)) {
            throw corrupt("invalid field tag " + tag + " (field " + field + ", wire type " + wireType + ") in "
                    + message + " at byte " + at);
        }
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw truncated("a varint", 1);
            }
            byte b = data[pos++];
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw corrupt("varint longer than 10 bytes in " + message + " at byte " + pos);
    }

    int fixed32() {
        need(4, "a fixed32 value");
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16
                | (data[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    long fixed64() {
        need(8, "a fixed64 value");
        long lo = fixed32() & 0xffffffffL;
        long hi = fixed32() & 0xffffffffL;
        return lo | hi << 32;
    }

    /** Start offset (in the whole array) of the length-delimited field just read; advances past it. */
    int[] lengthDelimited() {
        expect(LENGTH_DELIMITED);
        int at = pos;
        long length = varint();
        if (length < 0 || length > end - pos) {
            throw corrupt("truncated or corrupt: field " + field + " of " + message + " at byte " + at + " claims "
                    + length + " bytes but only " + (end - pos) + " remain in that message (file is " + data.length
                    + " bytes)");
        }
        int start = pos;
        pos += (int) length;
        return new int[] {start, pos};
    }

    ProtoReader message(String name) {
        int[] r = lengthDelimited();
        return new ProtoReader(file, data, r[0], r[1], name);
    }

    String string() {
        int[] r = lengthDelimited();
        return new String(data, r[0], r[1] - r[0], StandardCharsets.UTF_8);
    }

    /** A repeated int64 field, packed or not; values are appended to {@code out}. */
    void int64s(LongList out) {
        if (wireType == LENGTH_DELIMITED) {
            int[] r = lengthDelimited();
            ProtoReader packed = new ProtoReader(file, data, r[0], r[1], message + " packed field " + field);
            while (packed.pos < packed.end) {
                out.add(packed.varint());
            }
        } else {
            expect(VARINT);
            out.add(varint());
        }
    }

    /** Skips the current field's value. */
    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> fixed64();
            case FIXED32 -> fixed32();
            case LENGTH_DELIMITED -> lengthDelimited();
            default -> throw corrupt("cannot skip wire type " + wireType);
        }
    }

    void expect(int type) {
        if (wireType != type) {
            throw corrupt("field " + field + " of " + message + " has wire type " + wireType + " but " + type
                    + " was expected, at byte " + pos);
        }
    }

    byte[] data() {
        return data;
    }

    private void need(int bytes, String what) {
        if (end - pos < bytes) {
            throw truncated(what, bytes);
        }
    }

    private OnnxException truncated(String what, long bytes) {
        return corrupt("truncated or corrupt: " + what + " in " + message + " at byte " + pos + " needs " + bytes
                + " bytes but only " + (end - pos) + " remain in that message (file is " + data.length + " bytes)");
    }

    OnnxException corrupt(String what) {
        return new OnnxException(file, what);
    }

    /** A growable list of longs. */
    static final class LongList {
        private long[] values = new long[4];
        private int size;

        void add(long v) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        long[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }
}
