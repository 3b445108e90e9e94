package io.microw.nn.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.util.HashMap;
import java.util.Map;

/**
 * Keys and values of earlier decoding steps, per layer, in buffers of the generation's whole length allocated
 * once: a forward writes its positions into them with {@link #update} (no copy of the earlier positions, as
 * concatenating would make at every step), and {@link #commit} makes those positions part of the cache once the
 * forward succeeded. A forward that fails leaves the committed positions as they were.
 */
public final class KvCache {

    private final NDManager manager;
    private final int capacity;
    private final Map<Integer, NDList> buffers = new HashMap<>();
    private int length;
    private int pendingLength;

    /**
     * An empty cache.
     *
     * @param manager  owns the buffers
     * @param capacity the most positions the generation will cache (prompt plus new tokens)
     * @throws IllegalArgumentException when the capacity is not positive
     */
    public KvCache(NDManager manager, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("KV cache capacity must be at least 1 position, got " + capacity);
        }
        this.manager = manager;
        this.capacity = capacity;
    }

    /**
     * Writes this step's keys and values [batch, heads, seq, headDim] after the committed positions and returns
     * all of them so far, as views of the buffers owned by the keys' and values' own managers (the forward's).
     *
     * @param layer  the layer index
     * @param keys   this step's keys
     * @param values this step's values
     * @return keys and values of all positions so far [batch, heads, length + seq, headDim]
     * @throws IllegalStateException when the positions would exceed the capacity
     */
    public NDList update(int layer, NDArray keys, NDArray values) {
        int end = length + (int) keys.getShape().get(2);
        if (end > capacity) {
            throw new IllegalStateException("KV cache of layer " + layer + " holds " + capacity + " positions; "
                    + length + " cached plus " + keys.getShape().get(2) + " new ones do not fit");
        }
        NDList buffer = buffers.computeIfAbsent(layer, l -> new NDList(allocate(keys), allocate(values)));
        write(buffer.get(0), keys, length, end);
        write(buffer.get(1), values, length, end);
        pendingLength = end;
        return new NDList(prefix(buffer.get(0), end, keys.getManager()),
                prefix(buffer.get(1), end, values.getManager()));
    }

    private NDArray allocate(NDArray like) {
        Shape s = like.getShape();
        return manager.create(new Shape(s.get(0), s.get(1), capacity, s.get(3)), like.getDataType());
    }

    /** Copies {@code part} into positions [start, end) of a buffer: one engine call, no reshaping on the way. */
    private static void write(NDArray buffer, NDArray part, int start, int end) {
        Shape s = buffer.getShape();
        JniUtils.indexSet((PtNDArray) buffer, (PtNDArray) part, new long[] {0, 0, start, 0},
                new long[] {s.get(0), s.get(1), end, s.get(3)}, new long[] {1, 1, 1, 1});
    }

    /** The first {@code end} positions of a buffer, a view owned by {@code owner}. */
    private static NDArray prefix(NDArray buffer, int end, NDManager owner) {
        NDArray view = JniUtils.slice((PtNDArray) buffer, 2, 0, end, 1);
        view.attach(owner);
        return view;
    }

    /** Keeps the keys and values of the forward that just finished. */
    public void commit() {
        length = pendingLength;
    }

    /**
     * Number of positions cached (0 before the first commit).
     *
     * @return the cached sequence length
     */
    public int length() {
        return length;
    }
}
