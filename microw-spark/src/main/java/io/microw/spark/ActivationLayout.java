package io.microw.spark;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How an extraction stores a layer's vector in its Parquet column. {@link #FLOAT_ARRAY}: {@code array<float>}, directly
 * usable in Spark SQL; Parquet writes every element with its own repetition level. {@link #BINARY}: {@code binary} of
 * the vector as little-endian float32, {@code 4 × width} bytes per row, one Parquet value per row (cheaper to write;
 * SQL reads it through {@link MicrowSpark#registerFloatsFunction}). Every reader decodes either.
 */
public enum ActivationLayout {

    /** One {@code array<float>} column per layer. */
    FLOAT_ARRAY("float-array", DataTypes.createArrayType(DataTypes.FloatType, false)) {
        @Override
        Object encode(float[] values, int from, int width) {
            return Arrays.copyOfRange(values, from, from + width);
        }

        @Override
        float[] decode(Row row, int field, int width, String column) {
            List<Float> list = row.getList(field);
            float[] v = new float[list.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = list.get(i);
            }
            return v;
        }
    },

    /** One {@code binary} column per layer: {@code 4 × width} bytes of little-endian float32. */
    BINARY("binary", DataTypes.BinaryType) {
        @Override
        Object encode(float[] values, int from, int width) {
            byte[] bytes = new byte[Float.BYTES * width];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, from, width);
            return bytes;
        }

        @Override
        float[] decode(Row row, int field, int width, String column) {
            byte[] bytes = (byte[]) row.get(field);
            if (bytes.length != Float.BYTES * width) {
                throw new IllegalArgumentException("column '" + column + "' holds a binary value of " + bytes.length
                        + " bytes; expected " + Float.BYTES * width + " bytes (" + width + " little-endian float32)");
            }
            return floats(bytes);
        }
    };

    private final String id;
    private final DataType columnType;

    ActivationLayout(String id, DataType columnType) {
        this.id = id;
        this.columnType = columnType;
    }

    /** @return the name used in the manifest and on the command line: {@code float-array} or {@code binary} */
    public String id() {
        return id;
    }

    /** @return the Spark type of a layer column in this layout */
    public DataType columnType() {
        return columnType;
    }

    /**
     * The layout named {@code id} ({@code float-array} or {@code binary}, any case).
     *
     * @param id the name
     * @return the layout
     * @throws IllegalArgumentException for another name
     */
    public static ActivationLayout parse(String id) {
        for (ActivationLayout layout : values()) {
            if (layout.id.equals(id == null ? null : id.toLowerCase(Locale.ROOT))) {
                return layout;
            }
        }
        throw new IllegalArgumentException("unknown activation layout '" + id + "'; expected float-array or binary");
    }

    /**
     * A little-endian float32 byte array's floats (what {@code microw_floats(binary)} returns).
     *
     * @param bytes a multiple of 4 bytes
     * @return the floats
     * @throws IllegalArgumentException when the length is not a multiple of 4
     */
    public static float[] floats(byte[] bytes) {
        if (bytes.length % Float.BYTES != 0) {
            throw new IllegalArgumentException("a binary vector of " + bytes.length + " bytes; expected a multiple of "
                    + Float.BYTES + " (little-endian float32)");
        }
        float[] v = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    /** The layout of a layer column of Spark type {@code type}, refused when it is neither layout's type. */
    static ActivationLayout of(DataType type, String column) {
        for (ActivationLayout layout : values()) {
            if (layout.columnType.equals(type) || (layout == FLOAT_ARRAY && type.equals(
                    DataTypes.createArrayType(DataTypes.FloatType, true)))) {
                return layout;
            }
        }
        throw new IllegalArgumentException("column '" + column + "' has type " + type.simpleString() + "; expected "
                + "array<float> or binary (a layer column of a microw extraction)");
    }

    /** The column value of {@code width} floats of {@code values} from {@code from}. */
    abstract Object encode(float[] values, int from, int width);

    /**
     * The vector in {@code row}'s {@code field}. A binary value must have {@code 4 × width} bytes (it has no other
     * record of its width); an array is returned as it is, its width checked where it is used (as before binary).
     *
     * @throws IllegalArgumentException naming {@code column} and the expected bytes, for a binary value of another
     *                                  length
     */
    abstract float[] decode(Row row, int field, int width, String column);
}
