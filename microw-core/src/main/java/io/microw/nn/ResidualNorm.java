package io.microw.nn;

import ai.djl.ndarray.NDArray;

import java.util.Optional;

/**
 * A normalisation over the last dimension (LayerNorm, RMSNorm), exposed for analysis outside a forward: applied to
 * any tensor, or to the parts of a residual stream with the statistics of their sum (TransformerLens'
 * {@code apply_ln_to_stack}, without folding the weight away).
 */
public interface ResidualNorm {

    /**
     * Normalises a tensor as the module's forward does, without hooks.
     *
     * @param x [..., d]
     * @return the normalised tensor, shaped as {@code x}
     */
    NDArray apply(NDArray x);

    /**
     * Normalises each part of a decomposed residual stream with the scale of their sum: each part is centred (a
     * LayerNorm; an RMSNorm does not centre), divided by the scale the norm computes from {@code whole}, and
     * multiplied by the norm's weight; the bias is not added. The parts then sum to {@code apply(whole)} minus
     * {@link #bias()}.
     *
     * @param parts [n, ..., d], the parts whose sum is {@code whole}
     * @param whole [..., d], the norm's input
     * @return the normalised parts, [n, ..., d]
     */
    NDArray applyToStack(NDArray parts, NDArray whole);

    /**
     * The vector the norm adds after scaling (a LayerNorm's bias), if any.
     *
     * @return the bias [d], or empty
     */
    Optional<NDArray> bias();

    /**
     * The per-feature multiplier the norm applies after normalising (a LayerNorm's weight; an RMSNorm's w, or 1 + w
     * for Gemma's offset form).
     *
     * @return the scale [d]
     */
    NDArray scale();

    /**
     * Sets the scale to ones and any bias to zeros, in place: the norm then only normalises (TransformerLens'
     * {@code LayerNormPre} / {@code RMSNormPre}), as after its scale and bias were folded into the layers reading it.
     */
    void removeAffine();
}
