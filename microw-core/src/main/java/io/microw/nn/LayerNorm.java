package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

import java.util.Optional;

/** Layer normalisation over the last dimension with weight and bias, as {@code torch.nn.LayerNorm}. */
public final class LayerNorm extends Module implements ResidualNorm {

    private final NDArray weight;
    private final NDArray bias;
    private final float eps;
    private final Shape normalizedShape;

    /**
     * A layer norm over the given parameters.
     *
     * @param name   the module's full Hugging Face name
     * @param weight the scale; its shape is the normalised shape
     * @param bias   the shift
     * @param eps    added to the variance
     */
    public LayerNorm(String name, NDArray weight, NDArray bias, float eps) {
        super(name);
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
        this.normalizedShape = weight.getShape();
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        return new NDList(apply(inputs.head()));
    }

    @Override
    public NDArray apply(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalizedShape, weight, bias, eps).head();
    }

    @Override
    public NDArray applyToStack(NDArray parts, NDArray whole) {
        NDArray centredWhole = whole.sub(whole.mean(new int[] {-1}, true));
        NDArray inverseStd = centredWhole.square().mean(new int[] {-1}, true).addi(eps).pow(-0.5f);
        return parts.sub(parts.mean(new int[] {-1}, true)).muli(inverseStd).muli(weight);
    }

    @Override
    public Optional<NDArray> bias() {
        return Optional.of(bias);
    }

    @Override
    public NDArray scale() {
        return weight;
    }

    @Override
    public void removeAffine() {
        weight.muli(0).addi(1);
        bias.muli(0);
    }
}
