package io.microw.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.HashMap;
import java.util.Map;

/**
 * Keys and values of earlier decoding steps, per layer, kept in the generation's manager. A forward appends
 * with {@link #update}; {@link #commit} moves the new tensors into the cache's manager once the forward
 * succeeded, freeing the old ones.
 */
public final class KvCache {

    private final NDManager manager;
    private final Map<Integer, NDList> committed = new HashMap<>();
    private final Map<Integer, NDList> pending = new HashMap<>();

    /**
     * An empty cache.
     *
     * @param manager owns the committed keys and values
     */
    public KvCache(NDManager manager) {
        this.manager = manager;
    }

    /**
     * Appends this step's keys and values [batch, heads, seq, headDim] and returns all of them so far.
     *
     * @param layer  the layer index
     * @param keys   this step's keys
     * @param values this step's values
     * @return keys and values of all positions so far, concatenated along the sequence dimension
     */
    public NDList update(int layer, NDArray keys, NDArray values) {
        NDList past = committed.get(layer);
        NDList all = past == null
                ? new NDList(keys, values)
                : new NDList(past.get(0).concat(keys, 2), past.get(1).concat(values, 2));
        pending.put(layer, all);
        return all;
    }

    /** Keeps the keys and values of the forward that just finished. */
    public void commit() {
        for (Map.Entry<Integer, NDList> e : pending.entrySet()) {
            NDList kv = e.getValue();
            kv.attach(manager);
            NDList old = committed.put(e.getKey(), kv);
            if (old != null) {
                old.close();
            }
        }
        pending.clear();
    }

    /**
     * Number of positions cached (0 before the first commit).
     *
     * @return the cached sequence length
     */
    public int length() {
        NDList any = committed.get(0);
        return any == null ? 0 : (int) any.get(0).getShape().get(2);
    }
}
