package io.microw.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import java.util.Map;

/**
 * TopK SAE: each row keeps its {@code k} largest pre-activations (ReLU'd), every other latent is zero
 * (Gao et al. 2024; SAELens "topk"). {@code new TopKSae(512, d, 8)} is mi-crow's constructor order:
 * latents, inputs, k.
 */
public class TopKSae extends Sae {

    /**
     * A freshly initialised TopK SAE (seed 0).
     *
     * @param nLatents number of latents (d_sae)
     * @param nInputs input width (d_in)
     * @param k latents kept per row
     */
    public TopKSae(int nLatents, int nInputs, int k) {
        this(nLatents, nInputs, k, 0L);
    }

    /**
     * A freshly initialised TopK SAE.
     *
     * @param nLatents number of latents (d_sae)
     * @param nInputs input width (d_in)
     * @param k latents kept per row
     * @param seed the initialisation seed
     */
    public TopKSae(int nLatents, int nInputs, int k, long seed) {
        this(SaeConfig.of(SaeArchitecture.TOPK, nInputs, nLatents, k), seed);
    }

    /**
     * A freshly initialised TopK SAE for a config.
     *
     * @param config the architecture and sizes
     * @param seed the initialisation seed
     */
    public TopKSae(SaeConfig config, long seed) {
        this(config, SaeInit.initialParameters(requireArchitecture(config, SaeArchitecture.TOPK, "TopKSae"), seed, 1.0));
    }

    /**
     * A TopK SAE with the given parameters.
     *
     * @param config the architecture and sizes
     * @param parameters the values by SAELens parameter name, row-major
     */
    public TopKSae(SaeConfig config, Map<String, float[]> parameters) {
        super(requireArchitecture(config, SaeArchitecture.TOPK, "TopKSae"), parameters);
    }

    /**
     * Latents kept per row.
     *
     * @return the number of latents per row
     */
    public int k() {
        return config().k();
    }

    @Override
    protected NDArray encodeRows(NDArray x2d) {
        NDArray pre = preActivations(x2d);
        NDList top = pre.topK(k(), -1, true, false);
        NDArray values = top.get(0).maximum(0f);
        return pre.zerosLike().scatter(top.get(1), values, -1);
    }

    /** The "topk" architecture: takes k, trained with {@link TrainingRule#TOP_K}. */
    static final class Architecture extends SaeArchitecture {

        Architecture() {
            super("topk", TopKSae::new, TrainingRule.TOP_K, "top-k");
        }

        @Override
        public boolean usesK() {
            return true;
        }
    }
}
