package io.microw.sae;

import ai.djl.ndarray.NDArray;

import java.util.Map;

/**
 * BatchTopK SAE (Bussmann et al. 2024): in training, the {@code k × batch} largest pre-activations of the whole
 * batch survive, so rows may use more or fewer than {@code k} latents. Training also tracks a per-latent
 * {@code threshold}; at inference the SAE is a JumpReLU with it, which is how it is saved for SAELens.
 */
public class BatchTopKSae extends Sae {

    /**
     * A freshly initialised BatchTopK SAE (seed 0; thresholds 0 until trained).
     *
     * @param nLatents number of latents (d_sae)
     * @param nInputs input width (d_in)
     * @param k average latents kept per row in training
     */
    public BatchTopKSae(int nLatents, int nInputs, int k) {
        this(SaeConfig.of(SaeArchitecture.BATCH_TOPK, nInputs, nLatents, k), 0L);
    }

    /**
     * A freshly initialised BatchTopK SAE for a config.
     *
     * @param config the architecture and sizes
     * @param seed the initialisation seed
     */
    public BatchTopKSae(SaeConfig config, long seed) {
        this(config, SaeInit.initialParameters(
                requireArchitecture(config, SaeArchitecture.BATCH_TOPK, "BatchTopKSae"), seed, 1.0));
    }

    /**
     * A BatchTopK SAE with the given parameters (including {@code threshold}).
     *
     * @param config the architecture and sizes
     * @param parameters the values by SAELens parameter name, row-major
     */
    public BatchTopKSae(SaeConfig config, Map<String, float[]> parameters) {
        super(requireArchitecture(config, SaeArchitecture.BATCH_TOPK, "BatchTopKSae"), parameters);
    }

    /**
     * Average latents per row in training.
     *
     * @return the average number of latents per row
     */
    public int k() {
        return config().k();
    }

    /** Inference: a JumpReLU with the threshold learned in training. */
    @Override
    protected NDArray encodeRows(NDArray x2d) {
        return JumpReluSae.jumpRelu(preActivations(x2d), parameterArray("threshold"));
    }

    /**
     * The "batchtopk" architecture: takes k (cfg.json may give a fractional average), has a [d_sae] threshold
     * (zero until trained), trains with {@link TrainingRule#BATCH_TOP_K} and is written to SAELens' files as the
     * JumpReLU it is at inference.
     */
    static final class Architecture extends SaeArchitecture {

        Architecture() {
            super("batchtopk", BatchTopKSae::new, TrainingRule.BATCH_TOP_K, "batch-topk");
        }

        @Override
        public boolean usesK() {
            return true;
        }

        @Override
        public boolean acceptsFractionalK() {
            return true;
        }

        @Override
        public Map<String, long[]> parameterShapes(SaeConfig config) {
            return JumpReluSae.withThreshold(super.parameterShapes(config), config.dSae());
        }

        @Override
        public SaeArchitecture savedAs() {
            return SaeArchitecture.JUMP_RELU;
        }
    }
}
