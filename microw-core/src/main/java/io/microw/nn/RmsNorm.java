package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import java.util.Optional;

/**
 * Root-mean-square normalisation over the last dimension: x / sqrt(mean(x²) + eps) * w, as Llama's
 * {@code LlamaRMSNorm}; with {@code unitOffset} the scale is (1 + w), as Gemma's {@code GemmaRMSNorm}.
 */
public final class RmsNorm extends Module implements ResidualNorm {

    private final NDArray scale;
    private final float eps;
    private final String typeName;

    /**
     * An RMS norm over the given weight.
     *
     * @param name       the module's full Hugging Face name
     * @param typeName   the Hugging Face class shown in layer listings
     * @param weight     the scale w
     * @param eps        added to the mean square
     * @param unitOffset whether the scale is (1 + w) instead of w
     */
    public RmsNorm(String name, String typeName, NDArray weight, float eps, boolean unitOffset) {
        super(name);
        this.typeName = typeName;
        this.scale = unitOffset ? weight.add(1f) : weight;
        this.eps = eps;
    }

    @Override
    public String typeName() {
        return typeName;
    }

    /**
     * Normalises without hooks (for norms applied per head inside attention).
     *
     * @param x the input
     * @return the normalised input, shaped as {@code x}
     */
    @Override
    public NDArray apply(NDArray x) {
        return x.mul(inverseRms(x)).muli(scale);
    }

    @Override
    public NDArray applyToStack(NDArray parts, NDArray whole) {
        return parts.mul(inverseRms(whole)).muli(scale);
    }

    @Override
    public Optional<NDArray> bias() {
        return Optional.empty();
    }

    @Override
    public NDArray scale() {
        return scale;
    }

    @Override
    public void removeAffine() {
        scale.muli(0).addi(1);
    }

    /** 1 / sqrt(mean(x²) + eps) over the last dimension, kept as [..., 1]. */
    private NDArray inverseRms(NDArray x) {
        return Autograd.pow(x.square().mean(new int[] {-1}, true).addi(eps), -0.5f);
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        return new NDList(apply(inputs.head()));
    }
}
