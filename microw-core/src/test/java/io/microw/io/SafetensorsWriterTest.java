package io.microw.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path dir;

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }

    private static SafetensorsWriter sample() {
        return new SafetensorsWriter().putFloats("w", new long[] {2}, new float[] {1, 2}).metadata("format", "pt");
    }

    @Test
    void headerIsJsonPaddedWithSpacesToMultipleOf8() throws IOException {
        Path f = dir.resolve("a.safetensors");
        new SafetensorsWriter().putFloats("abc", new long[] {1}, new float[] {5}).write(f);
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(n % 8).isZero();
        assertThat(bytes.length).isEqualTo(8 + n + 4);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"abc\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        assertThat(header.strip()).endsWith("}");
        assertThat(header.substring(header.strip().length())).isBlank();
        assertThat(ByteBuffer.wrap(bytes, (int) (8 + n), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat()).isEqualTo(5f);
    }

    @Test
    void successLeavesOnlyTheTargetFile() throws IOException {
        Path f = dir.resolve("out.safetensors");
        sample().write(f);
        assertThat(list(dir)).containsExactly(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path f = dir.resolve("out.safetensors");
        Files.writeString(f, "old contents");
        new SafetensorsWriter().putLongs("x", new long[] {1}, new long[] {9}).write(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.readLongs("x")).containsExactly(9);
        }
        assertThat(list(dir)).containsExactly(f);
    }

    @Test
    void nonExistentDirectoryFailsWithoutPartialFile() {
        Path f = dir.resolve("missing").resolve("out.safetensors");
        assertThatThrownBy(() -> sample().write(f))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("directory " + f.getParent() + " does not exist");
        assertThat(Files.exists(f)).isFalse();
        assertThat(Files.exists(f.getParent())).isFalse();
    }

    @Test
    void parentThatIsAFileFails() throws IOException {
        Path notADir = Files.writeString(dir.resolve("plain.txt"), "x");
        Path f = notADir.resolve("out.safetensors");
        assertThatThrownBy(() -> sample().write(f))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(f.toString());
        assertThat(list(dir)).containsExactly(notADir);
    }

    @Test
    void failedRenameDeletesTheTempFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("taken.safetensors"));
        Files.writeString(target.resolve("inside"), "keeps the directory non-empty");
        assertThatThrownBy(() -> sample().write(target))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(target.toString());
        assertThat(list(dir)).containsExactly(target);
    }

    @Test
    void dataLengthMustMatchShape() {
        assertThatThrownBy(() -> new SafetensorsWriter().putFloats("w", new long[] {2, 3}, new float[5]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'w'")
                .hasMessageContaining("6 elements")
                .hasMessageContaining("data has 5");
        assertThatThrownBy(() -> new SafetensorsWriter().putLongs("ids", new long[] {4}, new long[3]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'ids'")
                .hasMessageContaining("4 elements")
                .hasMessageContaining("data has 3");
        assertThatThrownBy(() -> new SafetensorsWriter().putInts("i", new long[] {1}, new int[2]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("data has 2");
    }

    @Test
    void putBytesChecksByteCount() {
        assertThatThrownBy(() -> new SafetensorsWriter().putBytes("r", DType.F16, new long[] {3}, new byte[5]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'r'")
                .hasMessageContaining("needs 6 bytes")
                .hasMessageContaining("data has 5");
    }

    @Test
    void rejectsNegativeDimensionsBadStoreTypeDuplicatesAndReservedName() {
        assertThatThrownBy(() -> new SafetensorsWriter().putFloats("w", new long[] {-1}, new float[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> new SafetensorsWriter().putFloats("w", new long[] {1}, new float[1], DType.I32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("I32");
        SafetensorsWriter w = new SafetensorsWriter().putFloats("w", new long[] {1}, new float[1]);
        assertThatThrownBy(() -> w.putFloats("w", new long[] {1}, new float[1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'w' was already added");
        assertThatThrownBy(() -> w.putFloats("__metadata__", new long[] {1}, new float[1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserved");
    }

    @Test
    void copiesDataAtPutTime() throws IOException {
        byte[] raw = {1, 2};
        float[] floats = {1f};
        SafetensorsWriter w = new SafetensorsWriter()
                .putBytes("r", DType.U8, new long[] {2}, raw)
                .putFloats("f", new long[] {1}, floats);
        raw[0] = 99;
        floats[0] = 99f;
        Path f = dir.resolve("c.safetensors");
        w.write(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.readLongs("r")).containsExactly(1, 2);
            assertThat(st.readFloats("f")).containsExactly(1f);
        }
    }
}
