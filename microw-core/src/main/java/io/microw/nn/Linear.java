package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import java.util.Optional;

/**
 * y = x Wᵀ + b with W stored [out, in] as in {@code torch.nn.Linear}. GPT-2's {@code Conv1D} (weights
 * stored [in, out]) is the same module built from the transposed weight; {@code typeName} keeps its HF name. In a
 * generation's decoding steps of a small model the product uses the generation's packed weights
 * ({@link io.microw.nn.internal.PackedWeights}).
 */
public final class Linear extends Module {

    private NDArray weight;
    private NDArray bias;
    private final String typeName;

    /**
     * A linear layer over the given weights.
     *
     * @param name     the module's full Hugging Face name
     * @param typeName the Hugging Face class shown in layer listings ({@code Linear}, {@code Conv1D})
     * @param weight   [out, in]
     * @param bias     [out] or {@code null}
     */
    public Linear(String name, String typeName, NDArray weight, NDArray bias) {
        super(name);
        this.typeName = typeName;
        this.weight = weight;
        this.bias = bias;
    }

    @Override
    public String typeName() {
        return typeName;
    }

    /**
     * The weight matrix.
     *
     * @return the weight [out, in]
     */
    public NDArray weight() {
        return weight;
    }

    /**
     * The bias [out], if the layer has one.
     *
     * @return the bias, or empty
     */
    public Optional<NDArray> bias() {
        return Optional.ofNullable(bias);
    }

    /**
     * Replaces the weight and bias (weight processing such as folding a norm into this layer, or giving a layer
     * that shares its weight with another, like a tied output head, a copy of its own). The arrays must belong to
     * the model's manager.
     *
     * @param newWeight [out, in], shaped as the current weight
     * @param newBias   [out], or {@code null} for none
     */
    public void setParameters(NDArray newWeight, NDArray newBias) {
        if (!newWeight.getShape().equals(weight.getShape())) {
            throw new IllegalArgumentException("new weight for " + name() + " has shape " + newWeight.getShape()
                    + " but the layer's weight has shape " + weight.getShape());
        }
        if (newBias != null && newBias.getShape().get(0) != weight.getShape().get(0)) {
            throw new IllegalArgumentException("new bias for " + name() + " has shape " + newBias.getShape()
                    + " but the layer has " + weight.getShape().get(0) + " outputs");
        }
        this.weight = newWeight;
        this.bias = newBias;
    }

    /**
     * Number of output features.
     *
     * @return the weight's first dimension
     */
    public long outFeatures() {
        return weight.getShape().get(0);
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        NDArray x = inputs.head();
        return new NDList(ctx.packedWeights().flatMap(p -> p.linear(x, weight, bias)).orElseGet(() -> apply(x)));
    }

    /**
     * x · Wᵀ + b without hooks (for analysis outside a forward, such as unembedding a residual stream).
     *
     * @param x [..., in]
     * @return [..., out]
     */
    public NDArray apply(NDArray x) {
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, weight).head()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).head();
    }
}
