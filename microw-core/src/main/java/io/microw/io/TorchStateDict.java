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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a state dict of tensors saved by {@code torch.save} (the zip format PyTorch has written since 1.6: a
 * folder holding {@code data.pkl}, {@code byteorder} and one raw storage per {@code data/<key>} entry), without
 * PyTorch and without executing anything: {@code data.pkl} goes through a restricted interpreter that knows only
 * dicts, {@code OrderedDict}, tensor rebuilds and storages, and refuses every other global, call or opcode with an
 * error naming the file and what it met. Floating tensors (float32, float16, bfloat16, float64) become
 * {@link FloatArray}s; integer tensors (dictionary_learning's {@code k}) are read too. The legacy pre-1.6 format
 * (a bare pickle stream) is refused.
 */
public final class TorchStateDict {

    private TorchStateDict() {
    }

    /**
     * The tensors of a {@code torch.save}d state dict, by key, in the file's order.
     *
     * @param file the {@code .pt}/{@code .pth} file
     * @return the tensors by state-dict key
     */
    public static Map<String, FloatArray> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new TensorFileException("PyTorch file " + file + " does not exist or is not a file");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Map<String, ZipEntry> byName = new HashMap<>();
            String prefix = null;
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                byName.put(e.getName(), e);
                if (e.getName().endsWith("/data.pkl") || e.getName().equals("data.pkl")) {
                    prefix = e.getName().substring(0, e.getName().length() - "data.pkl".length());
                }
            }
            if (prefix == null) {
                throw new TensorFileException(file + ": zip archive has no data.pkl; not a torch.save file");
            }
            ByteOrder order = byteOrder(file, zip, byName.get(prefix + "byteorder"));
            Object top = StateDictUnpickler.load(file.toString(), bytes(zip, byName.get(prefix + "data.pkl")));
            if (!(top instanceof Map<?, ?> dict)) {
                throw new TensorFileException(file + ": holds " + (top == null ? "None" : top.getClass().getSimpleName())
                        + ", not a state dict (a dict of name -> tensor)");
            }
            Map<String, FloatArray> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : dict.entrySet()) {
                if (!(e.getKey() instanceof String key)
                        || !(e.getValue() instanceof StateDictUnpickler.TensorRef t)) {
                    throw new TensorFileException(file + ": entry " + e.getKey() + " is not a tensor; a state dict"
                            + " maps names to tensors");
                }
                ZipEntry storage = byName.get(prefix + "data/" + t.storage().key());
                if (storage == null) {
                    throw new TensorFileException(file + ": tensor '" + key + "' names storage data/"
                            + t.storage().key() + ", which the archive lacks (truncated?)");
                }
                out.put(key, tensor(file, key, t, ByteBuffer.wrap(bytes(zip, storage)).order(order)));
            }
            return out;
        } catch (ZipException e) {
            throw new TensorFileException(file + " is not a readable zip archive (truncated or corrupt, or a pre-1.6"
                    + " legacy torch.save file): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new TensorFileException("cannot read " + file + ": " + e, e);
        }
    }

    private static FloatArray tensor(Path file, String key, StateDictUnpickler.TensorRef t, ByteBuffer data) {
        String storageClass = t.storage().storageClass();
        int size = elementSize(storageClass);
        long numel = t.storage().numel();
        if (numel < 0 || numel > Integer.MAX_VALUE / 8 || t.offset() < 0) {
            throw new TensorFileException(file + ": tensor '" + key + "' has storage of " + numel
                    + " elements at offset " + t.offset() + "; expected 0.." + Integer.MAX_VALUE / 8 + " and >= 0");
        }
        if (data.remaining() < numel * size) {
            throw new TensorFileException(file + ": storage data/" + t.storage().key() + " of tensor '" + key + "' has "
                    + data.remaining() + " bytes but " + storageClass + " of " + numel + " elements needs "
                    + numel * size);
        }
        if (t.shape().length != t.strides().length || ElementCodec.extent(t.shape(), t.strides(), t.offset()) > numel) {
            throw new TensorFileException(file + ": tensor '" + key + "' (size " + Arrays.toString(t.shape())
                    + ", stride " + Arrays.toString(t.strides()) + ", offset " + t.offset()
                    + ") reaches past its storage of " + numel + " elements");
        }
        float[] storage = decode(data, storageClass, Math.toIntExact(numel));
        return new FloatArray(t.shape(), ElementCodec.gather(storage, t.shape(), t.strides(), t.offset()),
                "torch." + storageClass);
    }

    private static float[] decode(ByteBuffer b, String storageClass, int n) {
        return switch (storageClass) {
            case "FloatStorage" -> ElementCodec.decode(b, DType.F32, n);
            case "HalfStorage" -> ElementCodec.decode(b, DType.F16, n);
            case "BFloat16Storage" -> ElementCodec.decode(b, DType.BF16, n);
            case "DoubleStorage" -> ElementCodec.decode(b, DType.F64, n);
            default -> {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    out[i] = switch (storageClass) {
                        case "LongStorage" -> b.getLong();
                        case "IntStorage" -> b.getInt();
                        case "ShortStorage" -> b.getShort();
                        case "CharStorage" -> b.get();
                        default -> b.get() & 0xff; // ByteStorage, BoolStorage
                    };
                }
                yield out;
            }
        };
    }

    private static int elementSize(String storageClass) {
        return switch (storageClass) {
            case "DoubleStorage", "LongStorage" -> 8;
            case "FloatStorage", "IntStorage" -> 4;
            case "HalfStorage", "BFloat16Storage", "ShortStorage" -> 2;
            default -> 1;
        };
    }

    private static ByteOrder byteOrder(Path file, ZipFile zip, ZipEntry entry) throws IOException {
        if (entry == null) {
            return ByteOrder.LITTLE_ENDIAN; // files before torch 1.12 have no byteorder record and are little-endian
        }
        String text = new String(bytes(zip, entry), StandardCharsets.US_ASCII).strip();
        return switch (text) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new TensorFileException(file + ": byteorder record is '" + text
                    + "'; expected 'little' or 'big'");
        };
    }

    private static byte[] bytes(ZipFile zip, ZipEntry entry) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }
}
