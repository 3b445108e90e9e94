package io.microw.io.onnx;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The protobuf reader on small hand-written ONNX models and on broken files. */
class OnnxModelTest {

    @TempDir
    Path dir;

    /** Minimal protobuf writer for building test messages. */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            tag(field, 0);
            raw(v);
            return this;
        }

        Proto bytes(int field, byte[] b) {
            tag(field, 2);
            raw(b.length);
            out.writeBytes(b);
            return this;
        }

        Proto string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return bytes(field, m.toBytes());
        }

        Proto fixed32(int field, float f) {
            tag(field, 5);
            int bits = Float.floatToIntBits(f);
            for (int i = 0; i < 4; i++) {
                out.write(bits >>> (8 * i));
            }
            return this;
        }

        private void tag(int field, int wire) {
            raw((long) field << 3 | wire);
        }

        private void raw(long v) {
            while ((v & ~0x7fL) != 0) {
                out.write((int) (v & 0x7f) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] toBytes() {
            return out.toByteArray();
        }
    }

    private static byte[] floatsLe(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private Path write(Proto graph) throws IOException {
        Path f = dir.resolve("m.onnx");
        Files.write(f, new Proto().varint(1, 8).string(2, "test").message(7, graph).toBytes());
        return f;
    }

    private static Proto node(String name, String op, String[] in, String[] out) {
        Proto n = new Proto();
        for (String i : in) {
            n.string(1, i);
        }
        for (String o : out) {
            n.string(2, o);
        }
        return n.string(3, name).string(4, op);
    }

    @Test
    void readsNodesInitializersAndTheirEncodings() throws IOException {
        Proto raw = new Proto().varint(1, 2).varint(1, 3).varint(2, 1).string(8, "w.raw")
                .bytes(9, floatsLe(1, 2, 3, 4, 5, 6));
        Proto floatData = new Proto().varint(1, 2).varint(2, 1).string(8, "w.float_data")
                .bytes(4, floatsLe(0.5f, -0.5f));
        Proto half = new Proto().varint(1, 2).varint(2, 10).string(8, "w.half")
                .bytes(9, new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0}); // 1.0, -2.0
        Proto int64 = new Proto().varint(1, 3).varint(2, 7).string(8, "ids").bytes(7, new byte[] {1, 2, 3});
        Proto packedRaw = new Proto().bytes(1, new byte[] {2, 3}).varint(2, 1).string(8, "w.packed_dims")
                .bytes(9, floatsLe(1, 2, 3, 4, 5, 6));
        Proto constant = node("/c", "Constant", new String[0], new String[] {"c_out"})
                .message(5, new Proto().string(1, "value").message(5,
                        new Proto().varint(2, 1).bytes(9, floatsLe(5.65685f))));
        Proto gemm = node("/g", "Gemm", new String[] {"x", "w.raw"}, new String[] {"y"})
                .message(5, new Proto().string(1, "transB").varint(3, 1))
                .message(5, new Proto().string(1, "alpha").fixed32(2, 0.5f));
        Proto graph = new Proto().message(1, constant).message(1, gemm).message(5, raw).message(5, floatData)
                .message(5, half).message(5, int64).message(5, packedRaw)
                .message(11, new Proto().string(1, "x")).message(12, new Proto().string(1, "y"));
        OnnxModel m = OnnxModel.read(write(graph));
        assertThat(m.irVersion()).isEqualTo(8);
        assertThat(m.producer()).isEqualTo("test");
        assertThat(m.inputs()).containsExactly("x");
        assertThat(m.outputs()).containsExactly("y");
        assertThat(m.nodes()).extracting(OnnxNode::opType).containsExactly("Constant", "Gemm");
        assertThat(m.nodes().get(1).intAttribute("transB", 0)).isEqualTo(1);
        assertThat(m.nodes().get(1).floatAttribute("alpha")).contains(0.5f);
        assertThat(m.constant("c_out").orElseThrow().floats()).containsExactly(5.65685f);
        assertThat(m.consumers("w.raw")).extracting(OnnxNode::name).containsExactly("/g");
        assertThat(m.initializers().get("w.raw").dims()).containsExactly(2, 3);
        assertThat(m.initializers().get("w.raw").floats()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(m.initializers().get("w.packed_dims").dims()).containsExactly(2, 3);
        assertThat(m.initializers().get("w.float_data").floats()).containsExactly(0.5f, -0.5f);
        assertThat(m.initializers().get("w.half").floats()).containsExactly(1f, -2f);
        assertThat(m.initializers().get("ids").longs()).containsExactly(1, 2, 3);
    }

    @Test
    void rawDataThatDisagreesWithDimsIsAnError() throws IOException {
        Proto bad = new Proto().varint(1, 4).varint(2, 1).string(8, "short").bytes(9, floatsLe(1, 2));
        Path f = write(new Proto().message(1, node("/n", "Relu", new String[] {"x"}, new String[] {"y"}))
                .message(5, bad));
        OnnxModel m = OnnxModel.read(f);
        assertThatThrownBy(() -> m.initializers().get("short").floats()).isInstanceOf(OnnxException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("'short'").hasMessageContaining("8 bytes");
    }

    @Test
    void quantizedWeightsAreRefusedAsFloats() throws IOException {
        Proto int8 = new Proto().varint(1, 2).varint(2, 3).string(8, "q").bytes(9, new byte[] {1, 2});
        Path f = write(new Proto().message(1, node("/n", "Relu", new String[] {"x"}, new String[] {"y"}))
                .message(5, int8));
        assertThatThrownBy(() -> OnnxModel.read(f).initializers().get("q").floats())
                .isInstanceOf(OnnxException.class).hasMessageContaining("INT8").hasMessageContaining("quantized");
    }

    @Test
    void externalDataIsRefused() throws IOException {
        Proto ext = new Proto().varint(1, 2).varint(2, 1).string(8, "big")
                .message(13, new Proto().string(1, "location").string(2, "weights.bin")).varint(14, 1);
        Path f = write(new Proto().message(1, node("/n", "Relu", new String[] {"x"}, new String[] {"y"}))
                .message(5, ext));
        assertThatThrownBy(() -> OnnxModel.read(f)).isInstanceOf(OnnxException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("'big'").hasMessageContaining("external");
    }

    @Test
    void brokenFilesAreClearErrors() throws IOException {
        Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
        assertThatThrownBy(() -> OnnxModel.read(empty)).isInstanceOf(OnnxException.class)
                .hasMessageContaining(empty.toString()).hasMessageContaining("empty");

        Path text = Files.writeString(dir.resolve("text.onnx"), "this is not an onnx model\n");
        assertThatThrownBy(() -> OnnxModel.read(text)).isInstanceOf(OnnxException.class)
                .hasMessageContaining(text.toString());

        Path noGraph = Files.write(dir.resolve("nograph.onnx"), new Proto().varint(1, 8).toBytes());
        assertThatThrownBy(() -> OnnxModel.read(noGraph)).isInstanceOf(OnnxException.class)
                .hasMessageContaining("no graph");

        byte[] whole = new Proto().varint(1, 8).message(7, new Proto().message(1,
                node("/n", "Relu", new String[] {"x"}, new String[] {"y"}))).toBytes();
        for (int cut = 3; cut < whole.length; cut++) {
            Path truncated = Files.write(dir.resolve("cut" + cut + ".onnx"), java.util.Arrays.copyOf(whole, cut));
            assertThatThrownBy(() -> OnnxModel.read(truncated)).as("cut at " + cut)
                    .isInstanceOf(OnnxException.class).hasMessageContaining(truncated.toString());
        }

        Path missing = dir.resolve("missing.onnx");
        assertThatThrownBy(() -> OnnxModel.read(missing)).isInstanceOf(OnnxException.class)
                .hasMessageContaining("does not exist");
    }
}
