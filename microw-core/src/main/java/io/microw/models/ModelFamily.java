package io.microw.models;

import ai.djl.ndarray.NDManager;
import io.microw.io.HfConfig;

/**
 * One architecture family: how to read its config, which checkpoint prefix it may omit, and how to build its
 * module tree. Adding an architecture means adding one family; hooks, layers and inference stay untouched.
 */
public interface ModelFamily {

    /** The {@code model_type} values this family builds. */
    java.util.Set<String> modelTypes();

    /** Parses the family's typed config. */
    ModelConfig parseConfig(HfConfig config);

    /** A prefix that some checkpoints leave off every name (e.g. {@code transformer.}), or "". */
    String optionalWeightPrefix();

    /** Builds the module tree, taking every parameter from {@code params}; tensors belong to {@code manager}. */
    TransformerModel build(ModelConfig config, ParameterSource params, NDManager manager);
}
