package io.microw.sae;

import ai.djl.ndarray.NDArray;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JumpReLU SAE: a latent passes its (ReLU'd) pre-activation only above its own learned {@code threshold}
 * (Rajamanoharan et al. 2024; SAELens "jumprelu"). Trained with a straight-through estimator and an L0 penalty.
 */
public class JumpReluSae extends Sae {

    /**
     * A freshly initialised JumpReLU SAE (seed 0, thresholds 0.001).
     *
     * @param nLatents number of latents (d_sae)
     * @param nInputs input width (d_in)
     */
    public JumpReluSae(int nLatents, int nInputs) {
        this(SaeConfig.of(SaeArchitecture.JUMP_RELU, nInputs, nLatents, 0), 0L);
    }

    /**
     * A freshly initialised JumpReLU SAE for a config.
     *
     * @param config the architecture and sizes
     * @param seed the initialisation seed
     */
    public JumpReluSae(SaeConfig config, long seed) {
        this(config, SaeInit.initialParameters(
                requireArchitecture(config, SaeArchitecture.JUMP_RELU, "JumpReluSae"), seed, 1.0));
    }

    /**
     * A JumpReLU SAE with the given parameters (including {@code threshold}).
     *
     * @param config the architecture and sizes
     * @param parameters the values by SAELens parameter name, row-major
     */
    public JumpReluSae(SaeConfig config, Map<String, float[]> parameters) {
        super(requireArchitecture(config, SaeArchitecture.JUMP_RELU, "JumpReluSae"), parameters);
    }

    @Override
    protected NDArray encodeRows(NDArray x2d) {
        return jumpRelu(preActivations(x2d), parameterArray("threshold"));
    }

    /** {@code ReLU(pre) · [pre > threshold]}, SAELens' JumpReLU. */
    static NDArray jumpRelu(NDArray pre, NDArray threshold) {
        return pre.maximum(0f).mul(pre.gt(threshold));
    }

    /** The base shapes plus a [d_sae] threshold. */
    static Map<String, long[]> withThreshold(Map<String, long[]> shapes, int dSae) {
        Map<String, long[]> out = new LinkedHashMap<>(shapes);
        out.put("threshold", new long[] {dSae});
        return out;
    }

    /**
     * The "jumprelu" architecture: a [d_sae] threshold starting at {@link SaeInit#JUMP_RELU_INITIAL_THRESHOLD},
     * trained with {@link TrainingRule#JUMP_RELU_L0}.
     */
    static final class Architecture extends SaeArchitecture {

        Architecture() {
            super("jumprelu", JumpReluSae::new, TrainingRule.JUMP_RELU_L0, "jump-relu");
        }

        @Override
        public Map<String, long[]> parameterShapes(SaeConfig config) {
            return withThreshold(super.parameterShapes(config), config.dSae());
        }

        @Override
        public Map<String, float[]> initialParameters(SaeConfig config, long seed, double decoderNorm) {
            Map<String, float[]> p = super.initialParameters(config, seed, decoderNorm);
            Arrays.fill(p.get("threshold"), SaeInit.JUMP_RELU_INITIAL_THRESHOLD);
            return p;
        }
    }
}
