package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.microw.nn.Linear;
import io.microw.nn.Module;
import io.microw.nn.ResidualNorm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    private static final Set<String> OUTPUT_PROJECTIONS = Set.of("c_proj", "o_proj", "dense");

    private final Map<String, NDArray> tensors = new HashMap<>();

    ActivationCache(Layers layers, NDManager manager, int batchSize, int seqLength) {
        this.layers = layers;
        this.manager = manager;
        this.batchSize = batchSize;
        this.seqLength = seqLength;
    }

    /**
     * Keeps a layer's output, in float32, in the cache's manager (a second capture of a layer replaces it). A float32
     * output is not copied but moved off the forward's manager: the forward never changes a module's output in place
     * (controllers edit private copies), so the array keeps the value the layer gave, and moving saves copying
     * every captured tensor.
     */
    void put(String canonical, NDArray value) {
        NDArray kept = value.getDataType() == DataType.FLOAT32 ? value : value.toType(DataType.FLOAT32, true);
        kept.attach(manager);
        NDArray previous = tensors.put(canonical, kept);
        if (previous != null && previous != kept && !tensors.containsValue(previous)) {
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

    /**
     * Normalises a stack of residual-stream parts (such as {@link #decomposeResid()} or per-head results) as the
     * final norm ({@code ln_final}) did on this run: each part is centred (LayerNorm only), divided by the scale the
     * norm computed from its input (the last block's {@code hook_resid_post}, which must be captured) and multiplied
     * by the norm's weight. Unlike TransformerLens, which folds the weight into the unembedding, microw applies it
     * here, so the parts map to logits through the unembedding directly; the norm's bias (a LayerNorm's) is not
     * added: it is one more constant part.
     *
     * @param stack [n, batch, seq, d], parts of the final residual stream
     * @return the normalised parts [n, batch, seq, d], owned by this cache
     */
    public NDArray applyFinalNorm(NDArray stack) {
        NDArray whole = tensors.get(required("blocks." + (layers.model().config().numLayers() - 1)
                + ".hook_resid_post"));
        return finalNorm().applyToStack(stack, whole);
    }

    /**
     * The final norm ({@code ln_final}) of the model this cache came from.
     *
     * @return the norm
     */
    public ResidualNorm finalNorm() {
        Module norm = layers.module("ln_final");
        if (!(norm instanceof ResidualNorm)) {
            throw new UnsupportedOperationException("the final norm " + norm.name() + " is a " + norm.typeName()
                    + ", not a LayerNorm or RMSNorm");
        }
        return (ResidualNorm) norm;
    }

    /**
     * Each head's contribution to a block's attention output (TransformerLens' {@code hook_result}): its slice of
     * {@code hook_z} times its slice of the output projection, without the projection's bias, so the heads sum to the
     * attention output minus that bias. Needs {@code blocks.<layer>.attn.hook_z} captured.
     *
     * @param layer the block
     * @return [batch, seq, heads, d], owned by this cache
     */
    public NDArray headResults(int layer) {
        NDArray z = get("blocks." + layer + ".attn.hook_z");
        Linear projection = outputProjection(layer);
        NDArray weight = projection.weight().toType(DataType.FLOAT32, true);
        weight.attach(manager);
        long b = z.getShape().get(0);
        long s = z.getShape().get(1);
        long heads = z.getShape().get(2);
        long headDim = z.getShape().get(3);
        long d = projection.outFeatures();
        NDArray perHeadWeight = weight.reshape(d, heads, headDim).transpose(1, 2, 0);
        NDArray results = z.transpose(2, 0, 1, 3).reshape(heads, b * s, headDim).matMul(perHeadWeight);
        return results.reshape(heads, b, s, d).transpose(1, 2, 0, 3);
    }

    /** The attention's output projection: GPT-2's {@code c_proj}, Llama's {@code o_proj}, GPT-NeoX's {@code dense}. */
    private Linear outputProjection(int layer) {
        Module attention = layers.module("blocks." + layer + ".attn");
        for (Module child : attention.children()) {
            String last = child.name().substring(child.name().lastIndexOf('.') + 1);
            if (child instanceof Linear && OUTPUT_PROJECTIONS.contains(last)) {
                return (Linear) child;
            }
        }
        throw new UnsupportedOperationException("no output projection (" + OUTPUT_PROJECTIONS + ") in "
                + attention.name());
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
