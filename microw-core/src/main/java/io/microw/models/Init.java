package io.microw.models;

/** How a parameter is drawn when a model is built from a config alone. */
public enum Init {
    /** Normal with the config's {@code initializer_range} as standard deviation (weights, embeddings). */
    NORMAL,
    /** All ones (norm weights). */
    ONES,
    /** All zeros (biases). */
    ZEROS
}
