package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.nn.ActivationFunction;


/**
 * BERT's {@code config.json} ({@code model_type} bert): shapes are required, the rest defaults as in
 * transformers' {@code BertConfig}. Only absolute position embeddings and the encoder (not the decoder) form
 * are supported; other settings are an error naming the key.
 */
public record BertConfig(HfConfig raw, int vocabSize, int hiddenSize, int numLayers, int numHeads,
                         int intermediateSize, int maxPositions, int typeVocabSize, double layerNormEps,
                         ActivationFunction activation, boolean tieWordEmbeddings, double initializerRange)
        implements ConfigTokenIds {

    /**
     * Checks that the heads divide the hidden size and that there is at least one token type.
     *
     * @param raw               the whole config.json
     * @param vocabSize         {@code vocab_size}
     * @param hiddenSize        {@code hidden_size}
     * @param numLayers         {@code num_hidden_layers}
     * @param numHeads          {@code num_attention_heads}, dividing {@code hiddenSize}
     * @param intermediateSize  {@code intermediate_size}, the feed-forward width
     * @param maxPositions      {@code max_position_embeddings}
     * @param typeVocabSize     {@code type_vocab_size}, at least 1
     * @param layerNormEps      {@code layer_norm_eps}
     * @param activation        {@code hidden_act}
     * @param tieWordEmbeddings {@code tie_word_embeddings}
     * @param initializerRange  {@code initializer_range}, the standard deviation of random weights
     */
    public BertConfig {
        if (numHeads <= 0 || hiddenSize % numHeads != 0) {
            throw new ModelLoadException(raw.source() + ": hidden_size " + hiddenSize
                    + " is not divisible by num_attention_heads " + numHeads);
        }
        if (typeVocabSize < 1) {
            throw new ModelLoadException(raw.source() + ": type_vocab_size is " + typeVocabSize
                    + "; expected at least 1 (token type 0 is added to every token)");
        }
    }

    /**
     * Reads the BERT settings; a missing shape key, or a size or epsilon that is not positive, is an error naming it.
     *
     * @param c the parsed {@code config.json}
     * @return the typed config
     * @throws io.microw.io.ConfigException on a missing shape key or a size or epsilon that is not positive
     * @throws ModelLoadException on heads that do not divide the hidden size, or an unsupported setting
     */
    public static BertConfig from(HfConfig c) {
        String positions = c.getString("position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw new ModelLoadException(c.source() + ": position_embedding_type '" + positions
                    + "' is not supported; expected 'absolute'");
        }
        if (c.getBoolean("is_decoder", false) || c.getBoolean("add_cross_attention", false)) {
            throw new ModelLoadException(c.source() + ": is_decoder/add_cross_attention is true; microw builds "
                    + "BERT as an encoder (BertModel) only, expected both false");
        }
        return new BertConfig(c,
                c.requirePositiveInt("vocab_size"),
                c.requirePositiveInt("hidden_size"),
                c.requirePositiveInt("num_hidden_layers"),
                c.requirePositiveInt("num_attention_heads"),
                c.requirePositiveInt("intermediate_size"),
                c.getPositiveInt("max_position_embeddings", 512),
                c.getPositiveInt("type_vocab_size", 2),
                c.getPositiveDouble("layer_norm_eps", 1e-12),
                ActivationFunction.fromConfig(c.getString("hidden_act", "gelu")),
                c.getBoolean("tie_word_embeddings", true),
                c.getDouble("initializer_range", 0.02));
    }

    @Override
    public String modelType() {
        return "bert";
    }

    @Override
    public String architecture() {
        return "BertModel";
    }

    /**
     * Width of one attention head.
     *
     * @return {@code hiddenSize / numHeads}
     */
    public int headDim() {
        return hiddenSize / numHeads;
    }
}
