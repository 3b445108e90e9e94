package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.nn.ActivationFunction;
import io.microw.nn.RopeScaling;


/**
 * GPT-NeoX's (Pythia's) {@code config.json}: shapes are required, flags default as in transformers'
 * {@code GPTNeoXConfig}. The rotated share of each head comes from {@code rope_parameters.partial_rotary_factor}
 * or the older {@code rotary_pct}.
 */
public record GptNeoXConfig(HfConfig raw, int vocabSize, int hiddenSize, int numLayers, int numHeads,
                            int intermediateSize, int maxPositions, double layerNormEps, ActivationFunction activation,
                            boolean tieWordEmbeddings, boolean attentionBias, boolean useParallelResidual,
                            RopeScaling rope) implements ConfigTokenIds {

    /**
     * Reads the GPT-NeoX settings; a missing shape key, or a size or epsilon that is not positive, is an error naming
     * it.
     *
     * @param c the parsed {@code config.json}
     * @return the typed config
     * @throws io.microw.io.ConfigException on a missing shape key or a size or epsilon that is not positive
     * @throws ModelLoadException on heads that do not divide the hidden size, or an unsupported setting
     */
    public static GptNeoXConfig from(HfConfig c) {
        int hidden = c.requirePositiveInt("hidden_size");
        int heads = c.requirePositiveInt("num_attention_heads");
        if (hidden % heads != 0) {
            throw new ModelLoadException(c.source() + ": hidden_size " + hidden
                    + " is not divisible by num_attention_heads " + heads);
        }
        int maxPositions = c.getPositiveInt("max_position_embeddings", 2048);
        return new GptNeoXConfig(c,
                c.requirePositiveInt("vocab_size"),
                hidden,
                c.requirePositiveInt("num_hidden_layers"),
                heads,
                c.getPositiveInt("intermediate_size", 4 * hidden),
                maxPositions,
                c.getPositiveDouble("layer_norm_eps", 1e-5),
                ActivationFunction.fromConfig(c.getString("hidden_act", "gelu")),
                c.getBoolean("tie_word_embeddings", false),
                c.getBoolean("attention_bias", true),
                c.getBoolean("use_parallel_residual", true),
                RopeConfig.read(c, hidden / heads, maxPositions));
    }

    /**
     * Width of one attention head.
     *
     * @return {@code hiddenSize / numHeads}
     */
    public int headDim() {
        return hiddenSize / numHeads;
    }

    @Override
    public String modelType() {
        return "gpt_neox";
    }

    @Override
    public String architecture() {
        return "GPTNeoXForCausalLM";
    }
}
