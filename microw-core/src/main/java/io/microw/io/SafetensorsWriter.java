package io.microw.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Collects tensors and metadata, then writes them as one safetensors file, atomically: a temp file in the
 * target's directory is written, fsynced and renamed over the target, so readers never see a partial file.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper MAPPER = JsonMapper.mapper();

    /** A tensor to write: its dtype, shape and encoded little-endian bytes. */
    private record Entry(DType dtype, long[] shape, byte[] data) {
    }

    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /**
     * An empty writer.
     */
    public SafetensorsWriter() {
    }

    /**
     * Adds an F32 tensor.
     *
     * @param name  the tensor's name
     * @param shape its shape; its product must equal {@code data.length}
     * @param data  the values, row-major
     * @return this writer
     */
    public SafetensorsWriter putFloats(String name, long[] shape, float[] data) {
        return putFloats(name, shape, data, DType.F32);
    }

    /**
     * Adds a float tensor stored as F32, F16 or BF16 (rounded to nearest even).
     *
     * @param name    the tensor's name
     * @param shape   its shape; its product must equal {@code data.length}
     * @param data    the values, row-major
     * @param storeAs F32, F16 or BF16
     * @return this writer
     */
    public SafetensorsWriter putFloats(String name, long[] shape, float[] data, DType storeAs) {
        if (storeAs != DType.F32 && storeAs != DType.F16 && storeAs != DType.BF16) {
            throw new IllegalArgumentException("tensor '" + name + "': cannot store floats as " + storeAs
                    + "; use F32, F16 or BF16");
        }
        checkLength(name, shape, data.length);
        ByteBuffer b = allocate(name, data.length, storeAs);
        switch (storeAs) {
            case F32 -> b.asFloatBuffer().put(data);
            case F16 -> {
                for (float f : data) {
                    b.putShort(HalfFloats.floatToHalf(f));
                }
            }
            case BF16 -> {
                for (float f : data) {
                    b.putShort(HalfFloats.floatToBf16(f));
                }
            }
        }
        return add(name, storeAs, shape, b.array());
    }

    /**
     * Adds an I64 tensor.
     *
     * @param name  the tensor's name
     * @param shape its shape; its product must equal {@code data.length}
     * @param data  the values, row-major
     * @return this writer
     */
    public SafetensorsWriter putLongs(String name, long[] shape, long[] data) {
        checkLength(name, shape, data.length);
        ByteBuffer b = allocate(name, data.length, DType.I64);
        b.asLongBuffer().put(data);
        return add(name, DType.I64, shape, b.array());
    }

    /**
     * Adds an I32 tensor.
     *
     * @param name  the tensor's name
     * @param shape its shape; its product must equal {@code data.length}
     * @param data  the values, row-major
     * @return this writer
     */
    public SafetensorsWriter putInts(String name, long[] shape, int[] data) {
        checkLength(name, shape, data.length);
        ByteBuffer b = allocate(name, data.length, DType.I32);
        b.asIntBuffer().put(data);
        return add(name, DType.I32, shape, b.array());
    }

    /**
     * Adds a tensor of any dtype from its little-endian bytes; their count must be numel * byteSize.
     *
     * @param name  the tensor's name
     * @param dtype the element type
     * @param shape its shape
     * @param data  the encoded values (copied)
     * @return this writer
     */
    public SafetensorsWriter putBytes(String name, DType dtype, long[] shape, byte[] data) {
        long expected = Math.multiplyExact(numel(name, shape), dtype.byteSize());
        if (data.length != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': dtype " + dtype + " with shape "
                    + Arrays.toString(shape) + " needs " + expected + " bytes but data has " + data.length);
        }
        return add(name, dtype, shape, data.clone());
    }

    /**
     * Adds a {@code __metadata__} entry.
     *
     * @param key   the entry's key
     * @param value its value
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Writes the file atomically; any I/O failure is a {@link SafetensorsException} and leaves no temp file.
     *
     * @param file the file to write, in an existing directory; replaced if it exists
     */
    public void write(Path file) {
        byte[] header = header();
        Path target = file.toAbsolutePath();
        if (!Files.isDirectory(target.getParent())) {
            throw new SafetensorsException("cannot write safetensors file " + file + ": directory "
                    + target.getParent() + " does not exist or is not a directory");
        }
        try {
            AtomicFiles.write(target, out -> {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length).array());
                out.write(header);
                for (Entry e : tensors.values()) {
                    out.write(e.data());
                }
            });
        } catch (IOException e) {
            throw new SafetensorsException("cannot write safetensors file " + file + ": " + e.getCause(), e);
        }
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    private byte[] header() {
        ObjectNode root = MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafetensorsHeader.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> t : tensors.entrySet()) {
            ObjectNode node = root.putObject(t.getKey());
            node.put("dtype", t.getValue().dtype().safetensorsName());
            ArrayNode shape = node.putArray("shape");
            for (long d : t.getValue().shape()) {
                shape.add(d);
            }
            long end = offset + t.getValue().data().length;
            node.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize safetensors header", e);
        }
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    private SafetensorsWriter add(String name, DType dtype, long[] shape, byte[] data) {
        if (name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("'" + name + "' is reserved for metadata; use metadata(key, value)");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already added");
        }
        tensors.put(name, new Entry(dtype, shape.clone(), data));
        return this;
    }

    private static void checkLength(String name, long[] shape, int length) {
        long n = numel(name, shape);
        if (n != length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has "
                    + n + " elements but data has " + length);
        }
    }

    private static long numel(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                        + " has negative dimension " + d);
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static ByteBuffer allocate(String name, int elements, DType dtype) {
        long bytes = (long) elements * dtype.byteSize();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + name + "' needs " + bytes + " bytes as " + dtype
                    + ", more than one tensor may hold (" + (Integer.MAX_VALUE - 8) + ")");
        }
        return ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
