package io.microw.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeException;
import io.microw.sae.TrainingRule;

import java.util.Map;

/**
 * An SAE architecture that exists only in the tests, registered in
 * {@code META-INF/services/io.microw.sae.SaeArchitecture}: each row keeps its k largest pre-activations, ReLU'd,
 * trained with the TopK gradient step. This file and the registration are all it takes to train, save, load and
 * serve it through the CLI and the API ({@link RegisteredArchitectureTest}).
 */
public class ToyTopKSae extends Sae {

    ToyTopKSae(SaeConfig config, Map<String, float[]> values) {
        super(config, values);
        if (!(config.architecture() instanceof Architecture)) {
            throw new SaeException("ToyTopKSae needs a " + Architecture.NAME + " config, got " + config.architecture());
        }
    }

    @Override
    protected NDArray encodeRows(NDArray x2d) {
        NDArray pre = preActivations(x2d);
        NDList top = pre.topK(config().k(), -1, true, false);
        return pre.zerosLike().scatter(top.get(1), top.get(0).maximum(0f), -1);
    }

    /** "toytopk" (alias "toy-top-k"): takes k, the four standard parameters, trained with the TopK step. */
    public static final class Architecture extends SaeArchitecture {

        static final String NAME = "toytopk";

        /** The instance {@link java.util.ServiceLoader} makes. */
        public Architecture() {
            super(NAME, ToyTopKSae::new, TrainingRule.TOP_K, "toy-top-k");
        }

        @Override
        public boolean usesK() {
            return true;
        }
    }
}
