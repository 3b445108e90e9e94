package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The activations one run captured (TransformerLens' {@code ActivationCache}): float32 copies of the captured layers'
 * outputs, owned by the cache's own manager, looked up by canonical name or any alias. It records the model and the
 * batch it came from, so a patch from it into another model or another sequence length is refused before the
 * forward. Arrays it returns ({@link #get}, {@link #stack}, ...) belong to the cache: close it to free them all.
 */
public final class ActivationCache implements AutoCloseable {

    private final Layers layers;
    private final NDManager manager;
    private final int batchSize;
    private final int seqLength;
    private final Map<String, NDArray> tensors = new HashMap<>();

    ActivationCache(Layers layers, NDManager manager, int batchSize, int seqLength) {
        this.layers = layers;
        this.manager = manager;
        this.batchSize = batchSize;
        this.seqLength = seqLength;
    }

    /** Keeps a float32 copy of a layer's output in the cache's manager (a second capture of a layer replaces it). */
    void put(String canonical, NDArray value) {
        NDArray copy = value.getDataType() == DataType.FLOAT32 ? value.duplicate() : value.toType(DataType.FLOAT32, true);
        copy.attach(manager);
        NDArray previous = tensors.put(canonical, copy);
        if (previous != null) {
            previous.close();
        }
    }

    /** Whether this cache came from a run of the model these layers belong to. */
    boolean belongsTo(Layers other) {
        return layers == other;
    }

    /** The model this cache came from, for messages. */
    String modelDescription() {
        return layers.model().typeName();
    }

    /**
     * The rows of the run the cache came from.
     *
     * @return the batch size
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * The sequence length of the run the cache came from.
     *
     * @return the number of positions
     */
    public int seqLength() {
        return seqLength;
    }

    /**
     * Whether a layer was captured.
     *
     * @param nameOrAlias a layer name or alias
     * @return true when {@link #get} finds it
     */
    public boolean has(String nameOrAlias) {
        return tensors.containsKey(layers.resolve(nameOrAlias));
    }

    /**
     * A captured layer's output (for an attention module, its first output), as the run saw it after every hook
     * that ran before the capture.
     *
     * @param nameOrAlias a layer name or alias, e.g. {@code blocks.3.hook_resid_post}
     * @return the float32 tensor, owned by this cache
     */
    public NDArray get(String nameOrAlias) {
        String canonical = layers.resolve(nameOrAlias);
        NDArray t = tensors.get(canonical);
        if (t == null) {
            throw new IllegalArgumentException("layer '" + nameOrAlias + "' (" + canonical + ") was not captured; "
                    + "this cache holds " + names() + "; capture it with Interventions.capture(\"" + nameOrAlias
                    + "\")");
        }
        return t;
    }

    /**
     * The captured layers' canonical names, in model order.
     *
     * @return the names
     */
    public List<String> names() {
        List<String> order = layers.names();
        List<String> out = new ArrayList<>(tensors.keySet());
        out.sort(Comparator.comparingInt(order::indexOf));
        return out;
    }

    /**
     * The captured layers a pattern matches, stacked in model order: [n, ...].
     *
     * @param pattern a layer name, alias or glob pattern, e.g. {@code blocks.*.hook_resid_post}
     * @return the stack, owned by this cache
     */
    public NDArray stack(String pattern) {
        List<String> matched = layers.match(pattern);
        List<String> missing = matched.stream().filter(n -> !tensors.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("pattern '" + pattern + "' matches layers this cache did not capture: "
                    + missing + "; capture them with Interventions.capture(\"" + pattern + "\")");
        }
        return stackOf(matched);
    }

    /**
     * The residual stream as it accumulates: each block's input ({@code hook_resid_pre}) and then the last block's
     * output ({@code hook_resid_post}), [layers + 1, batch, seq, d]. Needs {@code blocks.*.hook_resid_pre} and the
     * last block's {@code hook_resid_post} captured.
     *
     * @return the stack, owned by this cache
     */
    public NDArray accumulatedResid() {
        int n = layers.model().config().numLayers();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(required("blocks." + i + ".hook_resid_pre"));
        }
        names.add(required("blocks." + (n - 1) + ".hook_resid_post"));
        return stackOf(names);
    }

    /**
     * The residual stream split into what wrote to it: the embeddings (token and positional, as block 0's input),
     * then each block's attention output and MLP output, [2 * layers + 1, batch, seq, d]; they sum to the last
     * block's output. A parallel-attention block (GPT-NeoX) adds both outputs to the same input, so the sum still
     * holds. Needs {@code blocks.0.hook_resid_pre}, {@code blocks.*.hook_attn_out} and {@code blocks.*.hook_mlp_out}
     * captured.
     *
     * @return the stack, owned by this cache
     */
    public NDArray decomposeResid() {
        int n = layers.model().config().numLayers();
        List<String> names = new ArrayList<>();
        names.add(required("blocks.0.hook_resid_pre"));
        for (int i = 0; i < n; i++) {
            names.add(required("blocks." + i + ".hook_attn_out"));
            names.add(required("blocks." + i + ".hook_mlp_out"));
        }
        return stackOf(names);
    }

    private String required(String alias) {
        String canonical = layers.resolve(alias);
        if (!tensors.containsKey(canonical)) {
            throw new IllegalArgumentException("this needs '" + alias + "' (" + canonical + "), which was not "
                    + "captured; this cache holds " + names());
        }
        return canonical;
    }

    private NDArray stackOf(List<String> canonical) {
        NDList list = new NDList(canonical.size());
        canonical.forEach(n -> list.add(tensors.get(n)));
        return NDArrays.stack(list);
    }

    /** Frees every tensor of the cache, including those it returned. */
    @Override
    public void close() {
        manager.close();
    }
}
