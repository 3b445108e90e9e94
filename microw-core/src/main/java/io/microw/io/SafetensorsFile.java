package io.microw.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors file opened for reading: the header is parsed and validated on open, tensor data is
 * memory-mapped on demand (per tensor, in chunks of at most 1 GiB, so files and tensors over 2 GiB work).
 */
public final class SafetensorsFile implements WeightSource {

    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final long CHUNK_BYTES = 1L << 30;
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafetensorsHeader header;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
    }

    /**
     * Opens and validates {@code file}; every problem with it is a {@link SafetensorsException} naming the file.
     *
     * @param file a {@code .safetensors} file
     * @return the open file; close it when done
     */
    public static SafetensorsFile open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(file + ": file not found", e);
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot open: " + e, e);
        }
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new SafetensorsException(file + ": file is " + fileSize
                        + " bytes, shorter than the 8-byte header length prefix of a safetensors file");
            }
            long headerLength = readFully(channel, 0, 8).getLong();
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new SafetensorsException(file + ": header length " + Long.toUnsignedString(headerLength)
                        + " bytes is absurd (at most " + MAX_HEADER_BYTES + " expected); not a safetensors file?");
            }
            if (headerLength > fileSize - 8) {
                throw new SafetensorsException(file + ": header length " + headerLength
                        + " bytes is larger than the rest of the file (" + (fileSize - 8) + " bytes)");
            }
            byte[] json = readFully(channel, 8, (int) headerLength).array();
            long dataStart = 8 + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(file.toString(), json, fileSize - dataStart);
            return new SafetensorsFile(file, channel, dataStart, header);
        } catch (IOException e) {
            closeQuietly(channel, e);
            throw new SafetensorsException(file + ": cannot read header: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    /**
     * The file's path.
     *
     * @return the path it was opened with
     */
    public Path path() {
        return path;
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public Set<String> names() {
        return header.tensors().keySet();
    }

    @Override
    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    /**
     * The {@code __metadata__} string map of the header (empty if absent).
     *
     * @return the metadata
     */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw new SafetensorsException(path + ": no tensor '" + name + "'; " + sampleNames(names()));
        }
        return info;
    }

    /** The tensor's elements as float32: F16/BF16 widened, F64 narrowed, integers and bools converted. */
    @Override
    public float[] readFloats(String name) {
        return readFloats(name, CHUNK_BYTES);
    }

    /** {@link #readFloats(String)}, mapping at most {@code chunkBytes} bytes at a time. */
    float[] readFloats(String name, long chunkBytes) {
        TensorInfo t = info(name);
        DType dtype = t.dtype();
        float[] out = new float[arrayLength(t)];
        forEachChunk(t, out.length, chunkBytes, (b, start, count) -> {
            switch (dtype) {
                case F32 -> b.asFloatBuffer().get(out, start, count);
                case F16 -> {
                    for (int i = 0; i < count; i++) {
                        out[start + i] = HalfFloats.halfToFloat(b.getShort(2 * i));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < count; i++) {
                        out[start + i] = HalfFloats.bf16ToFloat(b.getShort(2 * i));
                    }
                }
                case F64 -> {
                    for (int i = 0; i < count; i++) {
                        out[start + i] = (float) b.getDouble(8 * i);
                    }
                }
                default -> {
                    for (int i = 0; i < count; i++) {
                        out[start + i] = integerAt(b, dtype, i);
                    }
                }
            }
        });
        return out;
    }

    /**
     * Writes the tensor's elements as float32 into {@code target}. A float32 tensor is read straight from the file
     * into the buffer (no mapping, no Java array: the only copy in memory is the target); other dtypes are converted
     * chunk by chunk from mapped bytes.
     */
    @Override
    public void readFloats(String name, ByteBuffer target) {
        TensorInfo t = info(name);
        long bytes = 4 * t.numel();
        if (target.remaining() < bytes) {
            throw new IllegalArgumentException("tensor '" + name + "' needs " + bytes + " bytes but the buffer has "
                    + target.remaining() + " remaining");
        }
        if (t.dtype() == DType.F32 && target.order() == ByteOrder.LITTLE_ENDIAN) {
            readInto(t, target);
            return;
        }
        int length = arrayLength(t);
        DType dtype = t.dtype();
        forEachChunk(t, length, CHUNK_BYTES, (b, start, count) -> {
            for (int i = 0; i < count; i++) {
                target.putFloat(switch (dtype) {
                    case F32 -> b.getFloat(4 * i);
                    case F16 -> HalfFloats.halfToFloat(b.getShort(2 * i));
                    case BF16 -> HalfFloats.bf16ToFloat(b.getShort(2 * i));
                    case F64 -> (float) b.getDouble(8 * i);
                    default -> integerAt(b, dtype, i);
                });
            }
        });
    }

    /** The elements of an integer or bool tensor (U8 read unsigned, BOOL as 0/1); a floating tensor is an error. */
    @Override
    public long[] readLongs(String name) {
        TensorInfo t = info(name);
        DType dtype = t.dtype();
        if (dtype.isFloating()) {
            throw new SafetensorsException(path + ": tensor '" + name + "' has floating dtype " + dtype
                    + "; readLongs needs an integer or bool tensor, use readFloats");
        }
        long[] out = new long[arrayLength(t)];
        forEachChunk(t, out.length, CHUNK_BYTES, (b, start, count) -> {
            for (int i = 0; i < count; i++) {
                out[start + i] = integerAt(b, dtype, i);
            }
        });
        return out;
    }

    /**
     * The tensor's bytes as a read-only little-endian buffer mapped from the file (tensors up to 2 GiB).
     *
     * @param name the tensor's name
     * @return the tensor's bytes
     */
    public ByteBuffer rawBytes(String name) {
        TensorInfo t = info(name);
        long size = t.end() - t.begin();
        if (size > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor '" + name + "' is " + size
                    + " bytes, more than one buffer holds (" + Integer.MAX_VALUE + "); use readFloats/readLongs");
        }
        return map(t, 0, size);
    }

    /** Releases the file; mapped buffers already handed out stay valid until garbage-collected. */
    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot close: " + e, e);
        }
    }

    private void readInto(TensorInfo t, ByteBuffer target) {
        if (closed) {
            throw new SafetensorsException(path + ": file is closed; cannot read tensor '" + t.name() + "'");
        }
        ByteBuffer window = target.slice().limit((int) (t.end() - t.begin()));
        long position = dataStart + t.begin();
        try {
            while (window.hasRemaining()) {
                int n = channel.read(window, position + window.position());
                if (n < 0) {
                    throw new SafetensorsException(path + ": file ended inside tensor '" + t.name() + "'");
                }
            }
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot read tensor '" + t.name() + "': " + e, e);
        }
        target.position(target.position() + window.limit());
    }

    /** Receives the mapped bytes of elements {@code [start, start + count)} of a tensor. */
    private interface ChunkConsumer {
        void accept(ByteBuffer bytes, int start, int count);
    }

    private void forEachChunk(TensorInfo t, int length, long chunkBytes, ChunkConsumer consumer) {
        int elementSize = t.dtype().byteSize();
        int perChunk = (int) Math.max(1, Math.min(MAX_ARRAY_LENGTH, chunkBytes / elementSize));
        int count;
        for (int start = 0; start < length; start += count) {
            count = Math.min(perChunk, length - start);
            consumer.accept(map(t, (long) start * elementSize, (long) count * elementSize), start, count);
        }
    }

    private ByteBuffer map(TensorInfo t, long offset, long size) {
        if (closed) {
            throw new SafetensorsException(path + ": file is closed; cannot read tensor '" + t.name() + "'");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + offset, size)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot map tensor '" + t.name() + "': " + e, e);
        }
    }

    private int arrayLength(TensorInfo t) {
        long n = t.numel();
        if (n > MAX_ARRAY_LENGTH) {
            throw new SafetensorsException(path + ": tensor '" + t.name() + "' has " + n
                    + " elements, more than a Java array holds (" + MAX_ARRAY_LENGTH + ")");
        }
        return (int) n;
    }

    private static long integerAt(ByteBuffer b, DType dtype, int i) {
        return switch (dtype) {
            case I64 -> b.getLong(8 * i);
            case I32 -> b.getInt(4 * i);
            case I8 -> b.get(i);
            case U8 -> b.get(i) & 0xff;
            case BOOL -> b.get(i) != 0 ? 1 : 0;
            default -> throw new IllegalArgumentException("not an integer dtype: " + dtype);
        };
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) {
                throw new EOFException("file ended after " + (position + buf.position()) + " bytes");
            }
        }
        return buf.flip();
    }

    private static void closeQuietly(FileChannel channel, Exception primary) {
        try {
            channel.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }

    /** "N tensor(s), e.g. a, b, c, ..." for error messages about a missing name. */
    static String sampleNames(Set<String> names) {
        if (names.isEmpty()) {
            return "there are no tensors";
        }
        List<String> sample = new ArrayList<>();
        for (String n : names) {
            if (sample.size() == 8) {
                sample.add("...");
                break;
            }
            sample.add(n);
        }
        return names.size() + " tensor(s), e.g. " + String.join(", ", sample);
    }
}
