package io.microw.models;

import io.microw.io.HfConfig;

import java.util.List;
import java.util.OptionalLong;

/** The settings every architecture shares, read from {@code config.json}; families add their own. */
public interface ModelConfig {

    /**
     * {@code model_type}, e.g. {@code gpt2}.
     *
     * @return the model type
     */
    String modelType();

    /**
     * The Hugging Face class this model stands for, e.g. {@code GPT2LMHeadModel}.
     *
     * @return the architecture class name
     */
    String architecture();

    /**
     * Number of tokens in the vocabulary (rows of the embedding table).
     *
     * @return the vocabulary size
     */
    int vocabSize();

    /**
     * Width of the residual stream.
     *
     * @return the hidden size
     */
    int hiddenSize();

    /**
     * Number of transformer blocks.
     *
     * @return the number of layers
     */
    int numLayers();

    /**
     * Number of attention (query) heads per block.
     *
     * @return the number of heads
     */
    int numHeads();

    /**
     * Longest sequence the model accepts (its position table or context window).
     *
     * @return the maximum number of positions
     */
    int maxPositions();

    /**
     * Whether the output head shares the token embedding's weights.
     *
     * @return true when the embeddings are tied
     */
    boolean tieWordEmbeddings();

    /**
     * The beginning-of-sequence token id from the config.
     *
     * @return the id, or empty when the config has none
     */
    OptionalLong bosTokenId();

    /**
     * Token ids that end generation (a config may list several).
     *
     * @return the ids, empty when the config has none
     */
    List<Long> eosTokenIds();

    /**
     * The padding token id from the config.
     *
     * @return the id, or empty when the config has none
     */
    OptionalLong padTokenId();

    /**
     * The whole config.json.
     *
     * @return the raw config, for settings the typed config does not expose
     */
    HfConfig raw();
}
