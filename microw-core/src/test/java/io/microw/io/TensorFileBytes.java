package io.microw.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test files written byte by byte from the published layouts (numpy's .npy/.npz format description, PyTorch's
 * torch.save zip layout and pickle protocol 2), so readers are checked against bytes they did not produce.
 */
public final class TensorFileBytes {

    private TensorFileBytes() {
    }

    /** Little-endian float32 bytes. */
    public static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** An .npy v1.0 file: magic, header dict padded to 64 bytes, then the data. */
    public static byte[] npy(String descr, boolean fortran, long[] shape, byte[] data) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(", ");
        }
        String tuple = shape.length == 1 ? "(" + shape[0] + ",)" : "(" + (dims.length() == 0 ? ""
                : dims.substring(0, dims.length() - 2)) + ")";
        StringBuilder header = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': "
                + (fortran ? "True" : "False") + ", 'shape': " + tuple + ", }");
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.write(header.length() & 0xff);
        out.write(header.length() >>> 8);
        out.writeBytes(header.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }

    /** A float32 C-order .npy of a row-major array. */
    public static byte[] npyF32(long[] shape, float[] values) {
        return npy("<f4", false, shape, f32(values));
    }

    /** A zip archive of the given entries, in order. */
    public static void zip(Path file, Map<String, byte[]> entries) {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A torch.save zip ({@code archive/data.pkl}, {@code archive/byteorder}, storages) around a pickle. */
    public static void torchZip(Path file, byte[] pickle, Map<String, byte[]> storages) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", pickle);
        entries.put("archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        storages.forEach((k, v) -> entries.put("archive/data/" + k, v));
        entries.put("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        zip(file, entries);
    }

    /** Builds a protocol-2 pickle the way torch.save writes a state dict of tensors. */
    public static final class StateDictPickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Map<String, byte[]> storages = new LinkedHashMap<>();

        /** Starts the pickle: PROTO 2, EMPTY_DICT, MARK. */
        public StateDictPickle() {
            out.writeBytes(new byte[] {(byte) 0x80, 2, '}', '('});
        }

        /** A contiguous float32 tensor of the given shape. */
        public StateDictPickle tensor(String key, long[] shape, float... values) {
            return tensor(key, "FloatStorage", f32(values), values.length, shape, contiguous(shape), 0);
        }

        /** A 0-d int64 tensor, like dictionary_learning's {@code k} buffer. */
        public StateDictPickle longScalar(String key, long value) {
            byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
            return tensor(key, "LongStorage", b, 1, new long[0], new long[0], 0);
        }

        /** Any tensor view of a storage. */
        public StateDictPickle tensor(String key, String storageClass, byte[] storage, long numel, long[] shape,
                                      long[] strides, long offset) {
            String storageKey = String.valueOf(storages.size());
            storages.put(storageKey, storage);
            unicode(key);
            global("torch._utils", "_rebuild_tensor_v2");
            out.write('(');
            out.write('(');
            unicode("storage");
            global("torch", storageClass);
            unicode(storageKey);
            unicode("cpu");
            integer(numel);
            out.write('t');
            out.write('Q'); // BINPERSID
            integer(offset);
            tuple(shape);
            tuple(strides);
            out.write(0x89); // NEWFALSE
            global("collections", "OrderedDict");
            out.write(')');
            out.write('R');
            out.write('t');
            out.write('R');
            return this;
        }

        /** Raw opcodes inserted as they are (for refusals). */
        public StateDictPickle raw(byte[] opcodes) {
            out.writeBytes(opcodes);
            return this;
        }

        /** SETITEMS, STOP: the finished pickle. */
        public byte[] bytes() {
            ByteArrayOutputStream done = new ByteArrayOutputStream();
            done.writeBytes(out.toByteArray());
            done.write('u');
            done.write('.');
            return done.toByteArray();
        }

        /** The storages named so far, by key. */
        public Map<String, byte[]> storages() {
            return storages;
        }

        /** Writes the pickle and its storages as a torch.save zip. */
        public void write(Path file) {
            torchZip(file, bytes(), storages);
        }

        void unicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
            out.writeBytes(b);
        }

        void global(String module, String name) {
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }

        void integer(long v) {
            out.write('J');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        void tuple(long[] values) {
            out.write('(');
            for (long v : values) {
                integer(v);
            }
            out.write('t');
        }

        static long[] contiguous(long[] shape) {
            long[] strides = new long[shape.length];
            long s = 1;
            for (int k = shape.length - 1; k >= 0; k--) {
                strides[k] = s;
                s *= shape[k];
            }
            return strides;
        }
    }
}
