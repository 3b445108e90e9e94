package io.microw.io;

import static io.microw.io.RawSafetensors.concat;
import static io.microw.io.RawSafetensors.floatsLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("model.safetensors");
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertOpenFails(String header, byte[] data)
            throws IOException {
        Path f = RawSafetensors.write(file(), header, data);
        return assertThatThrownBy(() -> SafetensorsFile.open(f))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(f.toString());
    }

    @Test
    void readsAHandBuiltFile() throws IOException {
        // Header deliberately unpadded and with keys in unusual order; offsets computed by hand.
        String header = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"hand made\"},"
                + "\"b\":{\"data_offsets\":[8,16],\"dtype\":\"I64\",\"shape\":[1]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[16,20]},"
                + "\"g\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[20,22]}}";
        ByteBuffer data = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-2f).putLong(-123456789012L)
                .putShort((short) 0x3C00).putShort((short) 0xC100).putShort((short) 0xC020);
        Path f = RawSafetensors.write(file(), header, data.array());

        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.path()).isEqualTo(f);
            assertThat(st.describe()).isEqualTo(f.toString());
            assertThat(st.names()).containsExactly("b", "a", "h", "g");
            assertThat(st.contains("a")).isTrue();
            assertThat(st.contains("__metadata__")).isFalse();
            assertThat(st.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("note", "hand made"));
            assertThat(st.info("a")).isEqualTo(new TensorInfo("a", DType.F32, new long[] {2}, 0, 8));
            assertThat(st.readFloats("a")).containsExactly(1.5f, -2f);
            assertThat(st.readLongs("b")).containsExactly(-123456789012L);
            assertThat(st.readFloats("h")).containsExactly(1f, -2.5f);
            assertThat(st.readFloats("g")).containsExactly(-2.5f);
            assertThat(st.rawBytes("a").getFloat(4)).isEqualTo(-2f);
        }
    }

    @Test
    void readsAFileWithoutMetadataOrTensors() throws IOException {
        try (SafetensorsFile st = SafetensorsFile.open(RawSafetensors.write(file(), "{}", new byte[0]))) {
            assertThat(st.names()).isEmpty();
            assertThat(st.metadata()).isEmpty();
        }
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.safetensors");
        assertThatThrownBy(() -> SafetensorsFile.open(f))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("not found");
    }

    @Test
    void fileShorterThan8Bytes() throws IOException {
        Path f = Files.write(file(), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafetensorsFile.open(f))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("3 bytes");
    }

    @Test
    void headerLengthLargerThanFile() throws IOException {
        Path f = RawSafetensors.writeWithLength(file(), 1000, "{}".getBytes(StandardCharsets.UTF_8), new byte[6]);
        assertThatThrownBy(() -> SafetensorsFile.open(f))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("header length 1000")
                .hasMessageContaining("(8 bytes)");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path f = RawSafetensors.writeWithLength(file(), 1L << 40, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThatThrownBy(() -> SafetensorsFile.open(f))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("1099511627776");
    }

    @Test
    void headerLengthWithTopBitSetIsAbsurdNotNegative() throws IOException {
        Path f = RawSafetensors.writeWithLength(file(), -1L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThatThrownBy(() -> SafetensorsFile.open(f))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("18446744073709551615");
    }

    @Test
    void headerNotJson() throws IOException {
        assertOpenFails("{\"a\": [", new byte[0]).hasMessageContaining("not valid JSON");
    }

    @Test
    void headerWithTrailingGarbage() throws IOException {
        assertOpenFails("{} xyz", new byte[0]).hasMessageContaining("not valid JSON");
    }

    @Test
    void headerWithDuplicateTensor() throws IOException {
        String e = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        assertOpenFails("{\"x\":" + e + ",\"x\":" + e + "}", new byte[1])
                .hasMessageContaining("not valid JSON")
                .hasMessageContaining("'x'");
    }

    @Test
    void headerNotAnObject() throws IOException {
        assertOpenFails("[1, 2]", new byte[0]).hasMessageContaining("must be a JSON object, got array");
    }

    @Test
    void blankHeader() throws IOException {
        assertOpenFails("        ", new byte[0]).hasMessageContaining("must be a JSON object, got nothing");
    }

    @Test
    void entryNotAnObject() throws IOException {
        assertOpenFails("{\"w\": 5}", new byte[0]).hasMessageContaining("tensor 'w'").hasMessageContaining("got 5");
    }

    @Test
    void missingDtype() throws IOException {
        assertOpenFails("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining("missing \"dtype\"");
    }

    @Test
    void missingShape() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4])
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining("missing \"shape\"");
    }

    @Test
    void missingDataOffsets() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4])
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining("missing \"data_offsets\"");
    }

    @Test
    void unknownDtype() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1])
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining("'F8_E4M3'")
                .hasMessageContaining("F32");
    }

    @Test
    void dtypeNotAString() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4])
                .hasMessageContaining("tensor 'w' dtype must be a string, got 4");
    }

    @Test
    void negativeDimension() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,0]}}", new byte[0])
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining("dimension -2");
    }

    @Test
    void fractionalDimension() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4])
                .hasMessageContaining("dimension 1.5");
    }

    @Test
    void shapeNotAnArray() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,12]}}", new byte[12])
                .hasMessageContaining("shape must be an array")
                .hasMessageContaining("got 3");
    }

    @Test
    void dataOffsetsNotAPair() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4])
                .hasMessageContaining("tensor 'w' data_offsets [0]")
                .hasMessageContaining("[begin, end]");
    }

    @Test
    void dataOffsetsBeginAfterEnd() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8])
                .hasMessageContaining("tensor 'w' data_offsets [8,4]")
                .hasMessageContaining("begin <= end");
    }

    @Test
    void dataOffsetsNegative() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", new byte[8])
                .hasMessageContaining("data_offsets [-4,0]");
    }

    @Test
    void endPastDataSection() throws IOException {
        assertOpenFails("{\"h.0.attn.c_attn.weight\":{\"dtype\":\"F32\",\"shape\":[3,1024],"
                + "\"data_offsets\":[0,999999]}}", new byte[12288])
                .hasMessageContaining("tensor 'h.0.attn.c_attn.weight' data_offsets [0, 999999] "
                        + "end past the data section (12288 bytes)");
    }

    @Test
    void byteCountDoesNotMatchShape() throws IOException {
        assertOpenFails("{\"w\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", new byte[8])
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining("span 8 bytes")
                .hasMessageContaining("needs 12 bytes")
                .hasMessageContaining("[2, 3]");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertOpenFails("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12])
                .hasMessageContaining("'a' [0, 8]")
                .hasMessageContaining("'b' [4, 12]")
                .hasMessageContaining("overlap");
    }

    @Test
    void emptyTensorsDoNotOverlapAnything() throws IOException {
        Path f = RawSafetensors.write(file(), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", floatsLE(1, 2));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.readFloats("e")).isEmpty();
        }
    }

    @Test
    void metadataValueNotAString() throws IOException {
        assertOpenFails("{\"__metadata__\":{\"format\":5}}", new byte[0])
                .hasMessageContaining("'format'")
                .hasMessageContaining("got 5");
    }

    @Test
    void unknownTensorListsSomeNames() throws IOException {
        Path f = RawSafetensors.write(file(), "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", concat(floatsLE(1), floatsLE(2)));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThatThrownBy(() -> st.readFloats("c"))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining(f.toString())
                    .hasMessageContaining("'c'")
                    .hasMessageContaining("2 tensor(s), e.g. a, b");
        }
    }

    @Test
    void readLongsRejectsFloatingTensor() throws IOException {
        Path f = RawSafetensors.write(file(), "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
                new byte[4]);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThatThrownBy(() -> st.readLongs("a"))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("tensor 'a'")
                    .hasMessageContaining("BF16");
        }
    }

    @Test
    void readingAfterCloseFails() throws IOException {
        Path f = RawSafetensors.write(file(), "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                floatsLE(3));
        SafetensorsFile st = SafetensorsFile.open(f);
        st.close();
        assertThatThrownBy(() -> st.readFloats("a"))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("closed");
    }
}
