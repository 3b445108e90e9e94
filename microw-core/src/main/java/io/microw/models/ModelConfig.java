package io.microw.models;

import io.microw.io.HfConfig;

import java.util.List;
import java.util.OptionalLong;

/** The settings every architecture shares, read from {@code config.json}; families add their own. */
public interface ModelConfig {

    /** {@code model_type}, e.g. {@code gpt2}. */
    String modelType();

    /** The Hugging Face class this model stands for, e.g. {@code GPT2LMHeadModel}. */
    String architecture();

    int vocabSize();

    int hiddenSize();

    int numLayers();

    int numHeads();

    /** Longest sequence the model accepts (its position table or context window). */
    int maxPositions();

    boolean tieWordEmbeddings();

    OptionalLong bosTokenId();

    /** Token ids that end generation (a config may list several). */
    List<Long> eosTokenIds();

    OptionalLong padTokenId();

    /** The whole config.json. */
    HfConfig raw();
}
