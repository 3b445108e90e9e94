package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.sae.Sae;

/**
 * An SAE spliced into a layer's output with its error term kept, and a graph leaf on its latents: the layer outputs
 * {@code x + decodeDirection(δ)}, where {@code δ} is a zero tensor [batch, seq, d_sae] that requires a gradient. With
 * {@code f = encode(x)} and the error {@code x − decode(f)} held fixed, the layer's output as a function of the latents
 * is {@code decode(f + δ) + (x − decode(f))}, which is that: its value is {@code x} exactly, and after the backward
 * pass {@code δ}'s gradient is d metric / d each latent, carried back through the SAE's decoder in the model's forward.
 */
final class LatentTap {

    private final Sae sae;
    private final String layer;
    private final NDManager manager;
    private NDArray delta;

    /**
     * A tap for one forward.
     *
     * @param sae     the SAE whose decoder the gradient flows through
     * @param layer   the canonical layer name, for messages
     * @param manager owns the leaf and its gradient; it must outlive the forward
     */
    LatentTap(Sae sae, String layer, NDManager manager) {
        this.sae = sae;
        this.layer = layer;
        this.manager = manager;
    }

    /**
     * The layer's new output: {@code x} plus the decoded zero leaf.
     *
     * @param x the layer's output [batch, seq, d_in]
     * @return an output equal to {@code x} that depends on the leaf through the decoder
     */
    NDArray splice(NDArray x) {
        if (delta != null) {
            throw new IllegalStateException("layer '" + layer + "' ran twice in one forward; SAE feature attribution "
                    + "needs a layer that runs once");
        }
        Shape shape = x.getShape();
        delta = manager.zeros(new Shape(shape.get(0), shape.get(1), sae.dSae()), DataType.FLOAT32, x.getDevice());
        delta.setRequiresGradient(true);
        return x.add(sae.decodeDirection(delta));
    }

    /**
     * After the backward pass: d metric / d each latent at each position.
     *
     * @return the gradient [batch, seq, d_sae], owned by the tap's manager
     */
    NDArray gradient() {
        if (delta == null) {
            throw new IllegalStateException("layer '" + layer + "' did not run in the forward, so its latents have no "
                    + "gradient");
        }
        return delta.getGradient();
    }
}
