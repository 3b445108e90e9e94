package io.microw.sae;

import ai.djl.ndarray.NDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gated SAE (Rajamanoharan et al. 2024; SAELens "gated"): a gate path {@code x W_enc + b_gate > 0} decides which
 * latents are active, a magnitude path {@code ReLU(x (W_enc ⊙ exp(r_mag)) + b_mag)} sets their values. It has no
 * {@code b_enc}. Inference and loading only.
 */
public class GatedSae extends Sae {

    /**
     * A Gated SAE with the given parameters.
     *
     * @param config the architecture and sizes
     * @param parameters the values by SAELens parameter name, row-major
     */
    public GatedSae(SaeConfig config, Map<String, float[]> parameters) {
        super(requireArchitecture(config, SaeArchitecture.GATED, "GatedSae"), parameters);
    }

    @Override
    protected NDArray encodeRows(NDArray x2d) {
        // x (W_enc ⊙ exp(r_mag)) = (x W_enc) ⊙ exp(r_mag): one matmul, and no [d_in, d_sae] temporary. Every
        // temporary must come from the input's manager; exp(r_mag) is made by the SAE's, so it moves over.
        NDArray xw = centredInput(x2d).matMul(parameterArray("W_enc"));
        NDArray active = xw.add(parameterArray("b_gate")).gt(0f);
        NDArray scale = parameterArray("r_mag").exp();
        scale.attach(xw.getManager());
        NDArray magnitude = xw.mul(scale).add(parameterArray("b_mag")).maximum(0f);
        return magnitude.mul(active);
    }

    /** The "gated" architecture: no {@code b_enc}, plus {@code b_gate}, {@code b_mag}, {@code r_mag}; not trainable. */
    static final class Architecture extends SaeArchitecture {

        Architecture() {
            super("gated", GatedSae::new);
        }

        @Override
        public Map<String, long[]> parameterShapes(SaeConfig config) {
            Map<String, long[]> shapes = new LinkedHashMap<>(super.parameterShapes(config));
            shapes.remove("b_enc");
            int dSae = config.dSae();
            shapes.put("b_gate", new long[] {dSae});
            shapes.put("b_mag", new long[] {dSae});
            shapes.put("r_mag", new long[] {dSae});
            return shapes;
        }
    }
}
