package io.microw.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private SafetensorsFile writeAndOpen(SafetensorsWriter w) {
        Path file = dir.resolve("t.safetensors");
        w.write(file);
        return SafetensorsFile.open(file);
    }

    @Test
    void f32() {
        float[] data = {1f, -2.5f, 3.1415927f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, Float.NEGATIVE_INFINITY};
        try (SafetensorsFile f = writeAndOpen(new SafetensorsWriter().putFloats("w", new long[] {7}, data))) {
            assertThat(f.info("w")).isEqualTo(new TensorInfo("w", DType.F32, new long[] {7}, 0, 28));
            assertThat(f.readFloats("w")).containsExactly(data);
        }
    }

    @Test
    void f16ExactValuesIncludingSubnormalsAndSpecials() {
        float[] data = {1f, -2.5f, 65504f, -65504f, 0x1p-24f, 0x3ffp-24f, 0x1p-14f, 0f, -0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        try (SafetensorsFile f = writeAndOpen(
                new SafetensorsWriter().putFloats("h", new long[] {3, 4}, data, DType.F16))) {
            assertThat(f.info("h").dtype()).isEqualTo(DType.F16);
            assertThat(f.info("h").shape()).containsExactly(3, 4);
            float[] back = f.readFloats("h");
            for (int i = 0; i < data.length; i++) {
                assertThat(Float.floatToIntBits(back[i])).as("element %d", i).isEqualTo(Float.floatToIntBits(data[i]));
            }
            ByteBuffer raw = f.rawBytes("h");
            assertThat(raw.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(raw.isReadOnly()).isTrue();
            assertThat(raw.getShort(0) & 0xffff).isEqualTo(0x3C00);
            assertThat(raw.getShort(2) & 0xffff).isEqualTo(0xC100);
            assertThat(raw.getShort(4) & 0xffff).isEqualTo(0x7BFF);
        }
    }

    @Test
    void f16RoundsInexactValues() {
        try (SafetensorsFile f = writeAndOpen(
                new SafetensorsWriter().putFloats("h", new long[] {3}, new float[] {0.1f, 1e6f, 1e-9f}, DType.F16))) {
            assertThat(f.readFloats("h")).containsExactly(0.0999755859375f, Float.POSITIVE_INFINITY, 0f);
        }
    }

    @Test
    void bf16() {
        float[] data = {1f, -2.5f, (float) Math.PI, 1e30f, Float.NEGATIVE_INFINITY, Float.NaN};
        try (SafetensorsFile f = writeAndOpen(
                new SafetensorsWriter().putFloats("b", new long[] {6}, data, DType.BF16))) {
            float[] back = f.readFloats("b");
            assertThat(back[0]).isEqualTo(1f);
            assertThat(back[1]).isEqualTo(-2.5f);
            assertThat(back[2]).isEqualTo(3.140625f);
            assertThat(back[3]).isCloseTo(1e30f, org.assertj.core.data.Percentage.withPercentage(0.4));
            assertThat(back[4]).isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(back[5]).isNaN();
            assertThat(f.rawBytes("b").getShort(0) & 0xffff).isEqualTo(0x3F80);
        }
    }

    @Test
    void f64IsNarrowed() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.5).putDouble(1e300);
        try (SafetensorsFile f = writeAndOpen(
                new SafetensorsWriter().putBytes("d", DType.F64, new long[] {2}, b.array()))) {
            assertThat(f.readFloats("d")).containsExactly(0.5f, Float.POSITIVE_INFINITY);
        }
    }

    @Test
    void i64AndI32() {
        long[] longs = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 50256};
        int[] ints = {7, -7, Integer.MIN_VALUE};
        try (SafetensorsFile f = writeAndOpen(new SafetensorsWriter()
                .putLongs("ids", new long[] {5}, longs)
                .putInts("small", new long[] {1, 3}, ints))) {
            assertThat(f.info("ids").dtype()).isEqualTo(DType.I64);
            assertThat(f.info("small").dtype()).isEqualTo(DType.I32);
            assertThat(f.readLongs("ids")).containsExactly(longs);
            assertThat(f.readLongs("small")).containsExactly(7, -7, Integer.MIN_VALUE);
            assertThat(f.readFloats("small")).containsExactly(7f, -7f, (float) Integer.MIN_VALUE);
        }
    }

    @Test
    void i8U8AndBool() {
        byte[] bytes = {0, 1, -1, (byte) 200};
        try (SafetensorsFile f = writeAndOpen(new SafetensorsWriter()
                .putBytes("i8", DType.I8, new long[] {4}, bytes)
                .putBytes("u8", DType.U8, new long[] {4}, bytes)
                .putBytes("mask", DType.BOOL, new long[] {2, 2}, bytes))) {
            assertThat(f.readLongs("i8")).containsExactly(0, 1, -1, -56);
            assertThat(f.readLongs("u8")).containsExactly(0, 1, 255, 200);
            assertThat(f.readLongs("mask")).containsExactly(0, 1, 1, 1);
            assertThat(f.readFloats("u8")).containsExactly(0f, 1f, 255f, 200f);
            assertThat(f.readFloats("mask")).containsExactly(0f, 1f, 1f, 1f);
        }
    }

    @Test
    void scalarsEmptyTensorsAndMetadata() {
        try (SafetensorsFile f = writeAndOpen(new SafetensorsWriter()
                .putFloats("scalar", new long[] {}, new float[] {42f})
                .putFloats("empty", new long[] {0, 5}, new float[0], DType.BF16)
                .metadata("format", "pt"))) {
            assertThat(f.info("scalar").numel()).isEqualTo(1);
            assertThat(f.readFloats("scalar")).containsExactly(42f);
            assertThat(f.readFloats("empty")).isEmpty();
            assertThat(f.rawBytes("empty").remaining()).isZero();
            assertThat(f.metadata()).containsExactly(java.util.Map.entry("format", "pt"));
        }
    }

    @Test
    void tensorsKeepInsertionOrderAndLayout() {
        try (SafetensorsFile f = writeAndOpen(new SafetensorsWriter()
                .putFloats("z", new long[] {2}, new float[] {1, 2})
                .putLongs("a", new long[] {1}, new long[] {3})
                .putFloats("m", new long[] {1}, new float[] {4}, DType.F16))) {
            assertThat(f.names()).containsExactly("z", "a", "m");
            assertThat(f.info("z").begin()).isEqualTo(0);
            assertThat(f.info("a").begin()).isEqualTo(8);
            assertThat(f.info("m").begin()).isEqualTo(16);
            assertThat(f.info("m").end()).isEqualTo(18);
        }
    }

    @Test
    void chunkedReadsMatchWholeReads() {
        float[] data = new float[37];
        for (int i = 0; i < data.length; i++) {
            data[i] = i * 0.25f - 3;
        }
        try (SafetensorsFile f = writeAndOpen(new SafetensorsWriter()
                .putFloats("f32", new long[] {37}, data)
                .putFloats("f16", new long[] {37}, data, DType.F16)
                .putFloats("bf16", new long[] {37}, data, DType.BF16))) {
            for (String name : f.names()) {
                assertThat(f.readFloats(name, 8)).as(name).containsExactly(data);
                assertThat(f.readFloats(name, 1)).as(name).containsExactly(data);
            }
        }
    }
}
