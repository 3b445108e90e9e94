package io.microw.sae;

/**
 * The gradient steps microw's trainer ({@code io.microw.sae.train.SaeTrainer}) implements; an
 * {@link SaeArchitecture} names the one it trains with. Each fixes the activation used in training, the sparsity
 * term of the loss and the trainer-only state it keeps.
 */
public enum TrainingRule {
    /** {@code ReLU(pre)} with an L1 penalty on the codes weighted by decoder row norms (dense codes). */
    RELU_L1(true),
    /** Each row's k largest pre-activations, ReLU'd, with AuxK on dead latents (sparse codes). */
    TOP_K(false),
    /** The batch's {@code k · rows} largest pre-activations with AuxK; learns one inference threshold. */
    BATCH_TOP_K(false),
    /** {@code ReLU(pre)·[pre > θ]} with an L0 penalty through a straight-through estimator; learns θ per latent. */
    JUMP_RELU_L0(true);

    private final boolean dense;

    TrainingRule(boolean dense) {
        this.dense = dense;
    }

    /**
     * Whether the step computes dense {@code [batch, d_sae]} codes and weight gradients in the engine (rather than
     * sparse codes in Java), which sets how much memory a training step needs.
     *
     * @return whether the codes are dense
     */
    public boolean dense() {
        return dense;
    }

    /**
     * Whether the step keeps k latents per row (TopK, BatchTopK) and so may add AuxK's loss.
     *
     * @return whether it selects k latents
     */
    public boolean selectsK() {
        return this == TOP_K || this == BATCH_TOP_K;
    }
}
