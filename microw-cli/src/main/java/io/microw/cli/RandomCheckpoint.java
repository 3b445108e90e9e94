package io.microw.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.io.DType;
import io.microw.io.SafetensorsFile;
import io.microw.io.TensorInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A Llama model directory ({@code config.json} + one float32 {@code model.safetensors}) with random weights of a
 * {@link LlamaShape}, written once and streamed (a few MiB of memory whatever the size): matrices uniform with
 * standard deviation 0.02, norm scales 1. A directory that already holds a valid checkpoint of the shape is kept.
 */
final class RandomCheckpoint {

    /** The weights file's name. */
    static final String WEIGHTS = "model.safetensors";
    private static final int CHUNK_FLOATS = 1 << 20;
    private static final float HALF_WIDTH = (float) (0.02 * Math.sqrt(3));

    private RandomCheckpoint() {
    }

    /**
     * Writes the checkpoint into {@code dir} unless {@link #isValid} says it is there.
     *
     * @param dir   the model directory (created)
     * @param shape the model's shape
     * @param seed  fixes the weights
     * @return true when it was written, false when a valid one was kept
     */
    static boolean ensure(Path dir, LlamaShape shape, long seed) {
        if (isValid(dir, shape)) {
            return false;
        }
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve("config.json"));   // written last: marks a complete directory
            AtomicFiles.write(dir.resolve(WEIGHTS), out -> writeWeights(Channels.newChannel(out), shape, seed));
            Files.writeString(dir.resolve("config.json"), shape.configJson());
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether {@code dir} holds this shape's config and a float32 weights file with exactly its tensors and shapes.
     *
     * @param dir   the model directory
     * @param shape the expected shape
     * @return true when both files are there and match
     */
    static boolean isValid(Path dir, LlamaShape shape) {
        Path config = dir.resolve("config.json");
        Path weights = dir.resolve(WEIGHTS);
        try {
            if (!Files.isRegularFile(config) || !Files.isRegularFile(weights)
                    || !Files.readString(config).equals(shape.configJson())) {
                return false;
            }
        } catch (IOException e) {
            return false;
        }
        List<LlamaShape.Tensor> expected = shape.tensors();
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            if (f.names().size() != expected.size()) {
                return false;
            }
            for (LlamaShape.Tensor t : expected) {
                if (!f.contains(t.name())) {
                    return false;
                }
                TensorInfo info = f.info(t.name());
                if (info.dtype() != DType.F32 || !Arrays.equals(info.shape(), t.shape())) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The header, then every tensor's random float32 values, little-endian. */
    private static void writeWeights(WritableByteChannel out, LlamaShape shape, long seed) throws IOException {
        List<LlamaShape.Tensor> tensors = shape.tensors();
        byte[] header = header(tensors);
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
        writeAll(out, prefix);
        writeAll(out, ByteBuffer.wrap(header));
        SplittableRandom random = new SplittableRandom(seed);
        for (LlamaShape.Tensor t : tensors) {
            for (long left = t.numel(); left > 0; ) {
                int n = (int) Math.min(left, CHUNK_FLOATS);
                chunk.clear();
                for (int i = 0; i < n; i++) {
                    chunk.putFloat(t.norm() ? 1f : (float) (random.nextDouble() * 2 - 1) * HALF_WIDTH);
                }
                writeAll(out, chunk.flip());
                left -= n;
            }
        }
    }

    /** The JSON header with each tensor's byte range, padded with spaces to a multiple of 8 bytes. */
    static byte[] header(List<LlamaShape.Tensor> tensors) {
        ObjectNode json = Json.object();
        long offset = 0;
        for (LlamaShape.Tensor t : tensors) {
            ObjectNode entry = json.putObject(t.name());
            entry.put("dtype", "F32");
            ArrayNode dims = entry.putArray("shape");
            for (long d : t.shape()) {
                dims.add(d);
            }
            long end = offset + 4 * t.numel();
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        StringBuilder text = new StringBuilder(json.toString());
        while (text.length() % 8 != 0) {
            text.append(' ');
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static void writeAll(WritableByteChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}
