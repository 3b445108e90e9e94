package io.microw.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads numpy's {@code .npy} arrays and {@code .npz} archives (a zip of {@code .npy} files, stored or deflated)
 * into {@link FloatArray}s. Element types: float32 ({@code f4}), float16 ({@code f2}), float64 ({@code f8}), in
 * either byte order, and bfloat16 stored as its raw 16 bits, the way JAX/ml_dtypes exports reach numpy
 * ({@code u2} or the 2-byte void {@code V2}). C and Fortran order are both read; the result is row-major.
 * Object arrays (which hold pickled Python objects) and structured types are refused: nothing in a file is ever
 * executed.
 */
public final class NpyFile {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    private NpyFile() {
    }

    /**
     * Every array of an {@code .npz} archive, by name (the entry name without {@code .npy}), in archive order.
     *
     * @param file the archive
     * @return the arrays by name
     */
    public static Map<String, FloatArray> readNpz(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new TensorFileException("numpy archive " + file + " does not exist or is not a file");
        }
        Map<String, FloatArray> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                String name = e.getName();
                if (!name.endsWith(".npy")) {
                    throw new TensorFileException(file + ": entry '" + name + "' is not an .npy array;"
                            + " an .npz archive holds only .npy entries");
                }
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) {
                    bytes = in.readAllBytes();
                }
                out.put(name.substring(0, name.length() - 4), parse(file + ":" + name, bytes));
            }
        } catch (ZipException e) {
            throw new TensorFileException(file + " is not a readable zip archive (truncated or corrupt?): "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new TensorFileException("cannot read " + file + ": " + e, e);
        }
        return out;
    }

    /**
     * The array in an {@code .npy} file.
     *
     * @param file the file
     * @return the array
     */
    public static FloatArray readNpy(Path file) {
        try {
            return parse(file.toString(), Files.readAllBytes(file));
        } catch (IOException e) {
            throw new TensorFileException("cannot read numpy array " + file + ": " + e, e);
        }
    }

    /**
     * Parses the bytes of one {@code .npy} array.
     *
     * @param where the file (and entry) name, for messages
     * @param bytes the whole {@code .npy} content
     * @return the array
     */
    public static FloatArray parse(String where, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !startsWithMagic(bytes)) {
            throw new TensorFileException(where + ": not a numpy .npy array (no \\x93NUMPY magic)");
        }
        int major = bytes[6] & 0xff;
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new TensorFileException(where + ": .npy header is truncated");
            }
            headerLen = b.getInt(8);
            headerStart = 12;
        } else {
            throw new TensorFileException(where + ": .npy format version " + major + " is unknown; expected 1, 2 or 3");
        }
        if (headerLen < 0 || headerStart + (long) headerLen > bytes.length) {
            throw new TensorFileException(where + ": .npy header is truncated");
        }
        String header = new String(bytes, headerStart, headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = find(where, header, DESCR, "descr");
        boolean fortran = find(where, header, FORTRAN, "fortran_order").equals("True");
        long[] shape = parseShape(where, find(where, header, SHAPE, "shape"));
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        DType dtype = dtype(where, descr);
        long count = 1;
        for (long d : shape) {
            count *= d;
            if (count > Integer.MAX_VALUE / 8) {
                throw new TensorFileException(where + ": shape " + Arrays.toString(shape) + " is too large to read"
                        + " into one array");
            }
        }
        int dataStart = headerStart + headerLen;
        long needed = count * dtype.byteSize();
        if (bytes.length - dataStart < needed) {
            throw new TensorFileException(where + ": array of shape " + Arrays.toString(shape) + " and dtype "
                    + descr + " needs " + needed + " data bytes but the file has " + (bytes.length - dataStart)
                    + " (truncated?)");
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) needed).slice().order(order);
        float[] raw = ElementCodec.decode(data, dtype, Math.toIntExact(count));
        float[] values = fortran ? ElementCodec.gather(raw, shape, fortranStrides(shape), 0) : raw;
        return new FloatArray(shape, values, descr);
    }

    private static boolean startsWithMagic(byte[] bytes) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static DType dtype(String where, String descr) {
        String kind = descr.length() > 1 && "<>|=".indexOf(descr.charAt(0)) >= 0 ? descr.substring(1) : descr;
        return switch (kind) {
            case "f4" -> DType.F32;
            case "f2" -> DType.F16;
            case "f8" -> DType.F64;
            case "u2", "V2" -> DType.BF16;
            case "O" -> throw new TensorFileException(where + ": dtype '" + descr + "' is an object array, which holds"
                    + " pickled Python objects; refused (expected float32, float16, float64 or bfloat16 bits)");
            default -> throw new TensorFileException(where + ": dtype '" + descr + "' is not supported; expected"
                    + " float32 (<f4), float16 (<f2), float64 (<f8) or bfloat16 as raw 16 bits (<u2, |V2)");
        };
    }

    private static String find(String where, String header, Pattern p, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new TensorFileException(where + ": .npy header has no readable '" + key + "' (header: "
                    + header.strip() + "); structured dtypes are not supported");
        }
        return m.group(1);
    }

    private static long[] parseShape(String where, String text) {
        String[] parts = text.split(",");
        long[] dims = new long[parts.length];
        int n = 0;
        for (String part : parts) {
            String s = part.strip().replace("L", "");
            if (s.isEmpty()) {
                continue;
            }
            try {
                dims[n] = Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new TensorFileException(where + ": .npy shape (" + text + ") is not a tuple of integers");
            }
            if (dims[n] < 0) {
                throw new TensorFileException(where + ": .npy shape (" + text + ") has a negative dimension");
            }
            n++;
        }
        return Arrays.copyOf(dims, n);
    }

    private static long[] fortranStrides(long[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int k = 0; k < shape.length; k++) {
            strides[k] = s;
            s *= shape[k];
        }
        return strides;
    }
}
