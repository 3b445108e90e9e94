package io.microw.sae;

import java.util.Map;

/** mi-crow's name for the standard ReLU SAE trained with an L1 penalty; identical to {@link ReluSae}. */
public class L1Sae extends ReluSae {

    /**
     * A freshly initialised L1 SAE (seed 0).
     *
     * @param nLatents number of latents (d_sae)
     * @param nInputs input width (d_in)
     */
    public L1Sae(int nLatents, int nInputs) {
        super(nLatents, nInputs);
    }

    /**
     * An L1 SAE with the given parameters.
     *
     * @param config the architecture and sizes
     * @param parameters the values by SAELens parameter name, row-major
     */
    public L1Sae(SaeConfig config, Map<String, float[]> parameters) {
        super(config, parameters);
    }
}
