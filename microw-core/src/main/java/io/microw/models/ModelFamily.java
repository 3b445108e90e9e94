package io.microw.models;

import ai.djl.ndarray.NDManager;
import io.microw.io.HfConfig;

/**
 * One architecture family: how to read its config, which checkpoint prefix it may omit, and how to build its
 * module tree. Adding an architecture means adding one family; hooks, layers and inference stay untouched.
 */
public interface ModelFamily {

    /**
     * The {@code model_type} values this family builds.
     *
     * @return the model types
     */
    java.util.Set<String> modelTypes();

    /**
     * Parses the family's typed config.
     *
     * @param config the parsed {@code config.json}
     * @return the family's config
     */
    ModelConfig parseConfig(HfConfig config);

    /**
     * A prefix that some checkpoints leave off every name (e.g. {@code transformer.}), or "".
     *
     * @return the prefix, or "" when names are always complete
     */
    String optionalWeightPrefix();

    /**
     * Builds the module tree, taking every parameter from {@code params}; tensors belong to {@code manager}.
     *
     * @param config  a config returned by {@link #parseConfig}
     * @param params  where the parameters come from
     * @param manager owns the parameters
     * @return the root module
     */
    TransformerModel build(ModelConfig config, ParameterSource params, NDManager manager);
}
