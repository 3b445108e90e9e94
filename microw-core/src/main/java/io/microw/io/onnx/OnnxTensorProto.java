package io.microw.io.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * One ONNX {@code TensorProto} (an initializer or a {@code Constant} node's value): name, dims, data type and its
 * values, kept as the file's bytes until asked for. Floating-point tensors (float32, float16, bfloat16, float64)
 * read as float32; integer tensors as longs. Tensors stored outside the file (external data) are refused.
 */
public final class OnnxTensorProto {

    /**
     * {@code TensorProto.DataType} of float32.
     */
    public static final int FLOAT = 1;
    /**
     * {@code TensorProto.DataType} of int32.
     */
    public static final int INT32 = 6;
    /**
     * {@code TensorProto.DataType} of int64.
     */
    public static final int INT64 = 7;
    /**
     * {@code TensorProto.DataType} of IEEE float16.
     */
    public static final int FLOAT16 = 10;
    /**
     * {@code TensorProto.DataType} of float64.
     */
    public static final int DOUBLE = 11;
    /**
     * {@code TensorProto.DataType} of bfloat16.
     */
    public static final int BFLOAT16 = 16;

    private static final Map<Integer, String> TYPE_NAMES = Map.ofEntries(Map.entry(1, "FLOAT"),
            Map.entry(2, "UINT8"), Map.entry(3, "INT8"), Map.entry(4, "UINT16"), Map.entry(5, "INT16"),
            Map.entry(6, "INT32"), Map.entry(7, "INT64"), Map.entry(8, "STRING"), Map.entry(9, "BOOL"),
            Map.entry(10, "FLOAT16"), Map.entry(11, "DOUBLE"), Map.entry(12, "UINT32"), Map.entry(13, "UINT64"),
            Map.entry(16, "BFLOAT16"));

    private final Path file;
    private final String name;
    private final long[] dims;
    private final int dataType;
    private final byte[] data;
    private final int rawStart;
    private final int rawEnd;
    private final float[] floatData;
    private final long[] intData;
    private final double[] doubleData;

    private OnnxTensorProto(Path file, String name, long[] dims, int dataType, byte[] data, int rawStart, int rawEnd,
                            float[] floatData, long[] intData, double[] doubleData) {
        this.file = file;
        this.name = name;
        this.dims = dims;
        this.dataType = dataType;
        this.data = data;
        this.rawStart = rawStart;
        this.rawEnd = rawEnd;
        this.floatData = floatData;
        this.intData = intData;
        this.doubleData = doubleData;
    }

    static OnnxTensorProto read(Path file, ProtoReader r) {
        String name = "";
        ProtoReader.LongList dims = new ProtoReader.LongList();
        int dataType = 0;
        int rawStart = -1;
        int rawEnd = -1;
        FloatList floats = new FloatList();
        ProtoReader.LongList ints = new ProtoReader.LongList();
        DoubleList doubles = new DoubleList();
        boolean external = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> r.int64s(dims);
                case 2 -> {
                    r.expect(ProtoReader.VARINT);
                    dataType = (int) r.varint();
                }
                case 4 -> readFloats(r, floats);
                case 5, 7, 11 -> r.int64s(ints);
                case 8 -> name = r.string();
                case 9 -> {
                    int[] range = r.lengthDelimited();
                    rawStart = range[0];
                    rawEnd = range[1];
                }
                case 10 -> readDoubles(r, doubles);
                case 13 -> {
                    external = true;
                    r.skip();
                }
                case 14 -> {
                    r.expect(ProtoReader.VARINT);
                    external |= r.varint() == 1;
                }
                default -> r.skip();
            }
        }
        if (external) {
            throw new OnnxException(file, "tensor '" + name + "' keeps its data in an external file (external_data); "
                    + "only tensors stored inside the .onnx file are supported");
        }
        return new OnnxTensorProto(file, name, dims.toArray(), dataType, r.data(), rawStart, rawEnd,
                floats.toArray(), ints.toArray(), doubles.toArray());
    }

    /**
     * The tensor's name (the initializer or value name).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The tensor's shape.
     *
     * @return a copy of the dims, empty for a scalar
     */
    public long[] dims() {
        return dims.clone();
    }

    /**
     * ONNX's {@code TensorProto.DataType} number (1 float, 7 int64, 10 float16, ...).
     *
     * @return the data type number
     */
    public int dataType() {
        return dataType;
    }

    /**
     * The data type's ONNX name, for messages.
     *
     * @return e.g. {@code FLOAT} or {@code INT64}, or {@code type N} for an unknown number
     */
    public String dataTypeName() {
        return TYPE_NAMES.getOrDefault(dataType, "type " + dataType);
    }

    /**
     * Whether {@link #floats()} can read this tensor.
     *
     * @return true for float32, float16, bfloat16 and float64
     */
    public boolean isFloatingPoint() {
        return dataType == FLOAT || dataType == FLOAT16 || dataType == BFLOAT16 || dataType == DOUBLE;
    }

    /**
     * Number of elements the dims imply (1 for a scalar).
     *
     * @return the product of the dims
     */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * The values as float32, row-major; an error for a non-float tensor or one whose data and dims disagree.
     *
     * @return a new array of {@link #elementCount()} values
     */
    public float[] floats() {
        int n = count();
        float[] out = new float[n];
        if (rawStart >= 0) {
            ByteBuffer b = raw(n, switch (dataType) {
                case FLOAT -> 4;
                case FLOAT16, BFLOAT16 -> 2;
                case DOUBLE -> 8;
                default -> throw notFloat();
            });
            switch (dataType) {
                case FLOAT -> b.asFloatBuffer().get(out);
                case FLOAT16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = halfToFloat(b.getShort());
                    }
                }
                case BFLOAT16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                    }
                }
                default -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) b.getDouble();
                    }
                }
            }
            return out;
        }
        switch (dataType) {
            case FLOAT -> {
                checkCount(floatData.length, n, "float_data");
                return floatData.clone();
            }
            case DOUBLE -> {
                checkCount(doubleData.length, n, "double_data");
                for (int i = 0; i < n; i++) {
                    out[i] = (float) doubleData[i];
                }
                return out;
            }
            case FLOAT16, BFLOAT16 -> {
                checkCount(intData.length, n, "int32_data");
                for (int i = 0; i < n; i++) {
                    short bits = (short) intData[i];
                    out[i] = dataType == FLOAT16 ? halfToFloat(bits) : Float.intBitsToFloat((bits & 0xffff) << 16);
                }
                return out;
            }
            default -> throw notFloat();
        }
    }

    /**
     * The values of an integer tensor (int32 or int64) as longs.
     *
     * @return a new array of {@link #elementCount()} values
     */
    public long[] longs() {
        int n = count();
        if (dataType != INT64 && dataType != INT32) {
            throw new OnnxException(file, "tensor '" + name + "' has data type " + dataTypeName()
                    + "; expected INT64 or INT32");
        }
        if (rawStart >= 0) {
            ByteBuffer b = raw(n, dataType == INT64 ? 8 : 4);
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = dataType == INT64 ? b.getLong() : b.getInt();
            }
            return out;
        }
        checkCount(intData.length, n, dataType == INT64 ? "int64_data" : "int32_data");
        return intData.clone();
    }

    private int count() {
        long n;
        try {
            n = elementCount();
        } catch (ArithmeticException e) {
            n = -1;
        }
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new OnnxException(file, "tensor '" + name + "' has dims " + Arrays.toString(dims)
                    + ", too many elements for one Java array");
        }
        return (int) n;
    }

    private ByteBuffer raw(int n, int width) {
        long expected = (long) n * width;
        if (rawEnd - rawStart != expected) {
            throw new OnnxException(file, "tensor '" + name + "' (" + dataTypeName() + ", dims "
                    + Arrays.toString(dims) + ") has " + (rawEnd - rawStart) + " bytes of raw_data; its dims imply "
                    + expected);
        }
        return ByteBuffer.wrap(data, rawStart, rawEnd - rawStart).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private void checkCount(int have, int expected, String field) {
        if (have != expected) {
            throw new OnnxException(file, "tensor '" + name + "' (dims " + Arrays.toString(dims) + ") has " + have
                    + " values in " + field + "; its dims imply " + expected);
        }
    }

    private OnnxException notFloat() {
        return new OnnxException(file, "tensor '" + name + "' has data type " + dataTypeName()
                + "; expected a floating-point tensor (FLOAT, FLOAT16, BFLOAT16 or DOUBLE): quantized models are "
                + "not supported");
    }

    private static void readFloats(ProtoReader r, FloatList out) {
        if (r.wireType() == ProtoReader.LENGTH_DELIMITED) {
            int[] range = r.lengthDelimited();
            if ((range[1] - range[0]) % 4 != 0) {
                throw r.corrupt("packed float_data of " + (range[1] - range[0]) + " bytes is not a multiple of 4");
            }
            ByteBuffer b = ByteBuffer.wrap(r.data(), range[0], range[1] - range[0]).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                out.add(b.getFloat());
            }
        } else {
            r.expect(ProtoReader.FIXED32);
            out.add(Float.intBitsToFloat(r.fixed32()));
        }
    }

    private static void readDoubles(ProtoReader r, DoubleList out) {
        if (r.wireType() == ProtoReader.LENGTH_DELIMITED) {
            int[] range = r.lengthDelimited();
            if ((range[1] - range[0]) % 8 != 0) {
                throw r.corrupt("packed double_data of " + (range[1] - range[0]) + " bytes is not a multiple of 8");
            }
            ByteBuffer b = ByteBuffer.wrap(r.data(), range[0], range[1] - range[0]).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                out.add(b.getDouble());
            }
        } else {
            r.expect(ProtoReader.FIXED64);
            out.add(Double.longBitsToDouble(r.fixed64()));
        }
    }

    /** IEEE 754 half to float, subnormals, infinities and NaN included. */
    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13);
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | (exp + 112) << 23 | mant << 13);
    }

    @Override
    public String toString() {
        return name + " " + dataTypeName() + Arrays.toString(dims);
    }

    private static final class FloatList {
        private float[] values = new float[4];
        private int size;

        void add(float v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        float[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    private static final class DoubleList {
        private double[] values = new double[4];
        private int size;

        void add(double v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        double[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
