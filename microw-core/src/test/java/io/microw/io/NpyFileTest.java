package io.microw.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.microw.io.TensorFileBytes.npy;
import static io.microw.io.TensorFileBytes.npyF32;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** .npy/.npz files written byte by byte per numpy's format description read back with the values they hold. */
class NpyFileTest {

    @TempDir
    Path tmp;

    private static byte[] shorts(ByteOrder order, int... bits) {
        ByteBuffer b = ByteBuffer.allocate(2 * bits.length).order(order);
        for (int v : bits) {
            b.putShort((short) v);
        }
        return b.array();
    }

    @Test
    void cOrderAndFortranOrderGiveTheSameRowMajorValues() {
        FloatArray c = NpyFile.parse("c.npy", npyF32(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        assertThat(c.shape()).containsExactly(2, 3);
        assertThat(c.values()).containsExactly(1, 2, 3, 4, 5, 6);
        // Fortran order stores columns first: the 2x3 matrix [[1,2,3],[4,5,6]] is 1 4 2 5 3 6 on disk.
        FloatArray f = NpyFile.parse("f.npy", npy("<f4", true, new long[] {2, 3},
                TensorFileBytes.f32(1, 4, 2, 5, 3, 6)));
        assertThat(f.values()).containsExactly(1, 2, 3, 4, 5, 6);
        // 3-d Fortran: element (i,j,k) at i + 2j + 4k for shape (2,2,2).
        float[] disk = new float[8];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 2; k++) {
                    disk[i + 2 * j + 4 * k] = 100 * i + 10 * j + k;
                }
            }
        }
        FloatArray f3 = NpyFile.parse("f3.npy", npy("<f4", true, new long[] {2, 2, 2}, TensorFileBytes.f32(disk)));
        assertThat(f3.values()).containsExactly(0, 1, 10, 11, 100, 101, 110, 111);
    }

    @Test
    void halfBfloat16DoubleAndBigEndianAreWidened() {
        // IEEE half: 0x3E00 = 1.5, 0xC000 = -2, 0x0001 = 2^-24 (smallest subnormal)
        FloatArray h = NpyFile.parse("h.npy", npy("<f2", false, new long[] {3},
                shorts(ByteOrder.LITTLE_ENDIAN, 0x3E00, 0xC000, 0x0001)));
        assertThat(h.values()).containsExactly(1.5f, -2f, 0x1p-24f);
        // bfloat16 kept as raw uint16 bits: 0x3FC0 = 1.5, 0xC040 = -3, 0x4049 = 3.140625
        FloatArray bf = NpyFile.parse("bf.npy", npy("<u2", false, new long[] {3},
                shorts(ByteOrder.LITTLE_ENDIAN, 0x3FC0, 0xC040, 0x4049)));
        assertThat(bf.values()).containsExactly(1.5f, -3f, 3.140625f);
        FloatArray v2 = NpyFile.parse("v2.npy", npy("|V2", false, new long[] {1},
                shorts(ByteOrder.LITTLE_ENDIAN, 0x3FC0)));
        assertThat(v2.values()).containsExactly(1.5f);
        FloatArray be = NpyFile.parse("be.npy", npy(">f4", false, new long[] {2},
                ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(2.5f).putFloat(-7f).array()));
        assertThat(be.values()).containsExactly(2.5f, -7f);
        FloatArray d = NpyFile.parse("d.npy", npy("<f8", false, new long[] {1},
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.25).array()));
        assertThat(d.values()).containsExactly(0.25f);
    }

    @Test
    void objectArraysAndOtherTypesAreRefused() {
        assertThatThrownBy(() -> NpyFile.parse("obj.npy", npy("|O", false, new long[] {1}, new byte[8])))
                .isInstanceOf(TensorFileException.class).hasMessageContaining("obj.npy")
                .hasMessageContaining("object array").hasMessageContaining("refused");
        assertThatThrownBy(() -> NpyFile.parse("i.npy", npy("<i4", false, new long[] {1}, new byte[4])))
                .isInstanceOf(TensorFileException.class).hasMessageContaining("'<i4' is not supported");
        assertThatThrownBy(() -> NpyFile.parse("short.npy", npyF32(new long[] {4}, new float[] {1, 2})))
                .isInstanceOf(TensorFileException.class).hasMessageContaining("short.npy")
                .hasMessageContaining("needs 16 data bytes but the file has 8");
        assertThatThrownBy(() -> NpyFile.parse("junk.npy", new byte[20]))
                .isInstanceOf(TensorFileException.class).hasMessageContaining("no \\x93NUMPY magic");
    }

    @Test
    void npzArchivesReadEveryArrayAndTruncatedOnesFailClearly() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a.npy", npyF32(new long[] {2}, new float[] {1, 2}));
        entries.put("b.npy", npyF32(new long[] {1, 1}, new float[] {3}));
        Path file = tmp.resolve("x.npz");
        TensorFileBytes.zip(file, entries);
        Map<String, FloatArray> arrays = NpyFile.readNpz(file);
        assertThat(arrays.keySet()).containsExactly("a", "b");
        assertThat(arrays.get("b").shape()).containsExactly(1, 1);
        byte[] all = Files.readAllBytes(file);
        Path cut = Files.write(tmp.resolve("cut.npz"), Arrays.copyOf(all, all.length / 2));
        assertThatThrownBy(() -> NpyFile.readNpz(cut)).isInstanceOf(TensorFileException.class)
                .hasMessageContaining(cut.toString()).hasMessageContaining("not a readable zip archive");
    }
}
