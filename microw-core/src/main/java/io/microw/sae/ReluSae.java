package io.microw.sae;

import ai.djl.ndarray.NDArray;

import java.util.Map;

/**
 * The standard (L1) SAE: {@code codes = ReLU(pre)}, trained with an L1 penalty on the codes weighted by the
 * decoder row norms (SAELens "standard"). {@link L1Sae} is the same class under mi-crow's name.
 */
public class ReluSae extends Sae {

    /**
     * A freshly initialised ReLU SAE (seed 0).
     *
     * @param nLatents number of latents (d_sae)
     * @param nInputs input width (d_in)
     */
    public ReluSae(int nLatents, int nInputs) {
        this(SaeConfig.of(SaeArchitecture.STANDARD, nInputs, nLatents, 0), 0L);
    }

    /**
     * A freshly initialised ReLU SAE for a config.
     *
     * @param config the architecture and sizes
     * @param seed the initialisation seed
     */
    public ReluSae(SaeConfig config, long seed) {
        this(config, SaeInit.initialParameters(requireArchitecture(config, SaeArchitecture.STANDARD, "ReluSae"),
                seed, 1.0));
    }

    /**
     * A ReLU SAE with the given parameters.
     *
     * @param config the architecture and sizes
     * @param parameters the values by SAELens parameter name, row-major
     */
    public ReluSae(SaeConfig config, Map<String, float[]> parameters) {
        super(requireArchitecture(config, SaeArchitecture.STANDARD, "ReluSae"), parameters);
    }

    @Override
    protected NDArray encodeRows(NDArray x2d) {
        return preActivations(x2d).maximum(0f);
    }

    /** The "standard" architecture (aliases "relu", "l1"): trained with {@link TrainingRule#RELU_L1}. */
    static final class Architecture extends SaeArchitecture {

        Architecture() {
            super("standard", ReluSae::new, TrainingRule.RELU_L1, "relu", "l1");
        }
    }
}
