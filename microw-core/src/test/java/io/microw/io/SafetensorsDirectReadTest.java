package io.microw.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code readFloats(name, buffer)}: the same float32 values as {@code readFloats(name)}, written into a buffer. */
class SafetensorsDirectReadTest {

    private static final float[] VALUES = {1f, -2.5f, 0.375f, 1024f, -0f, 7.25f};

    @TempDir
    Path dir;

    private SafetensorsFile file() {
        Path path = dir.resolve("t.safetensors");
        new SafetensorsWriter()
                .putFloats("first", new long[] {2}, new float[] {9f, 8f})
                .putFloats("f32", new long[] {2, 3}, VALUES)
                .putFloats("f16", new long[] {6}, VALUES, DType.F16)
                .putFloats("bf16", new long[] {6}, VALUES, DType.BF16)
                .putLongs("i64", new long[] {3}, new long[] {-1, 0, 5})
                .write(path);
        return SafetensorsFile.open(path);
    }

    @Test
    void everyDtypeMatchesTheArrayReadIntoADirectBufferAtItsPosition() {
        try (SafetensorsFile f = file()) {
            for (String name : new String[] {"first", "f32", "f16", "bf16", "i64"}) {
                float[] expected = f.readFloats(name);
                ByteBuffer target = ByteBuffer.allocateDirect(4 + 4 * expected.length).order(ByteOrder.nativeOrder());
                target.putFloat(-99f);
                f.readFloats(name, target);
                assertThat(target.position()).as(name).isEqualTo(target.capacity());
                target.flip().getFloat();
                float[] got = new float[expected.length];
                target.asFloatBuffer().get(got);
                assertThat(got).as(name).containsExactly(expected);
            }
            assertThat(f.readFloats("f32")).containsExactly(VALUES);
        }
    }

    @Test
    void aBigEndianBufferGetsConvertedValues() {
        try (SafetensorsFile f = file()) {
            ByteBuffer target = ByteBuffer.allocate(4 * VALUES.length).order(ByteOrder.BIG_ENDIAN);
            f.readFloats("f32", target);
            target.flip();
            for (float v : VALUES) {
                assertThat(target.getFloat()).isEqualTo(v);
            }
        }
    }

    @Test
    void aShortBufferIsRefusedWithTheSizes() {
        try (SafetensorsFile f = file()) {
            assertThatThrownBy(() -> f.readFloats("f32", ByteBuffer.allocateDirect(20)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'f32' needs 24 bytes but the buffer has 20 remaining");
        }
    }
}
