package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.nn.ActivationFunction;

/** GPT-2's {@code config.json}: shapes are required, flags default as in transformers' {@code GPT2Config}. */
public record Gpt2Config(HfConfig raw, int vocabSize, int hiddenSize, int numLayers, int numHeads,
                         int maxPositions, int innerSize, double layerNormEpsilon, ActivationFunction activation,
                         boolean tieWordEmbeddings, boolean scaleAttnWeights, boolean scaleAttnByInverseLayerIdx,
                         double initializerRange) implements ConfigTokenIds {

    /**
     * Checks that the heads divide the hidden size.
     *
     * @param raw                        the whole config.json
     * @param vocabSize                  {@code vocab_size}
     * @param hiddenSize                 {@code n_embd}
     * @param numLayers                  {@code n_layer}
     * @param numHeads                   {@code n_head}, dividing {@code hiddenSize}
     * @param maxPositions               {@code n_positions}
     * @param innerSize                  {@code n_inner}, the feed-forward width (4 * {@code hiddenSize} by default)
     * @param layerNormEpsilon           {@code layer_norm_epsilon}
     * @param activation                 {@code activation_function}
     * @param tieWordEmbeddings          {@code tie_word_embeddings}
     * @param scaleAttnWeights           {@code scale_attn_weights}
     * @param scaleAttnByInverseLayerIdx {@code scale_attn_by_inverse_layer_idx}
     * @param initializerRange           {@code initializer_range}, the standard deviation of random weights
     */
    public Gpt2Config {
        if (numHeads <= 0 || hiddenSize % numHeads != 0) {
            throw new ModelLoadException(raw.source() + ": n_embd " + hiddenSize + " is not divisible by n_head "
                    + numHeads);
        }
    }

    /**
     * Reads the GPT-2 settings; a missing shape key, or a size or epsilon that is not positive, is an error naming it.
     *
     * @param c the parsed {@code config.json}
     * @return the typed config
     * @throws io.microw.io.ConfigException on a missing shape key or a size or epsilon that is not positive
     */
    public static Gpt2Config from(HfConfig c) {
        int hidden = c.firstPositiveInt("n_embd", "hidden_size");
        return new Gpt2Config(c,
                c.requirePositiveInt("vocab_size"),
                hidden,
                c.firstPositiveInt("n_layer", "num_hidden_layers"),
                c.firstPositiveInt("n_head", "num_attention_heads"),
                c.firstPositiveInt("n_positions", "max_position_embeddings"),
                c.getPositiveInt("n_inner", 4 * hidden),
                c.getPositiveDouble("layer_norm_epsilon", 1e-5),
                ActivationFunction.fromConfig(c.getString("activation_function", "gelu_new")),
                c.getBoolean("tie_word_embeddings", true),
                c.getBoolean("scale_attn_weights", true),
                c.getBoolean("scale_attn_by_inverse_layer_idx", false),
                c.getDouble("initializer_range", 0.02));
    }

    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public String architecture() {
        return "GPT2LMHeadModel";
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
