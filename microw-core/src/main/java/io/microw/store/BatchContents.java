package io.microw.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.DType;
import io.microw.io.JsonMapper;
import io.microw.io.SafetensorsWriter;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything one batch of a run holds, in memory, ready to be written by {@link RunWriter}: tensors by layer and
 * key, and the batch's {@code metadata.json}. Floats are kept as float32 and converted to the stored dtype when
 * written (on the writer's thread).
 */
public final class BatchContents {

    private static final ObjectMapper MAPPER = JsonMapper.mapper();

    /** One tensor of the batch; exactly one of {@code floats} and {@code longs} is set. */
    record Entry(String layer, String key, long[] shape, float[] floats, DType storeAs, long[] longs) {

        void putInto(SafetensorsWriter writer) {
            if (floats != null) {
                writer.putFloats(TENSOR_NAME, shape, floats, storeAs);
            } else {
                writer.putLongs(TENSOR_NAME, shape, longs);
            }
        }
    }

    /** The name of the one tensor in each file, as mi-crow writes it. */
    public static final String TENSOR_NAME = "tensor";

    private final List<Entry> entries = new ArrayList<>();
    private final ObjectNode metadata = MAPPER.createObjectNode();

    /**
     * Adds a float tensor, stored as F32, F16 or BF16.
     *
     * @param layer   the layer directory, a safe single path component
     * @param key     the tensor key (file name without {@code .safetensors}), a safe single path component
     * @param shape   the tensor's shape (copied)
     * @param values  the values, row-major float32 (kept, not copied)
     * @param storeAs the dtype to write: F32, F16 or BF16
     * @return this, for chaining
     */
    public BatchContents addFloats(String layer, String key, long[] shape, float[] values, DType storeAs) {
        entries.add(new Entry(StoreNames.check("layer name", layer), StoreNames.check("tensor key", key),
                shape.clone(), values, storeAs, null));
        return this;
    }

    /**
     * Adds an int64 tensor.
     *
     * @param layer  the layer directory, a safe single path component
     * @param key    the tensor key (file name without {@code .safetensors}), a safe single path component
     * @param shape  the tensor's shape (copied)
     * @param values the values, row-major (kept, not copied)
     * @return this, for chaining
     */
    public BatchContents addLongs(String layer, String key, long[] shape, long[] values) {
        entries.add(new Entry(StoreNames.check("layer name", layer), StoreNames.check("tensor key", key),
                shape.clone(), null, DType.I64, values));
        return this;
    }

    /**
     * The batch's {@code metadata.json}, to fill in; written with sorted-free insertion order.
     *
     * @return the mutable metadata object
     */
    public ObjectNode metadata() {
        return metadata;
    }

    List<Entry> entries() {
        return entries;
    }
}
