package io.microw.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.io.HfConfig;
import io.microw.nn.ActivationFunction;
import io.microw.nn.RopeScaling;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Gemma's and Gemma 2's {@code config.json}: shapes are required, flags default as in transformers'
 * {@code GemmaConfig} and {@code Gemma2Config}. Gemma 2 adds soft-capping, sliding-window layers, sandwich norms
 * and {@code query_pre_attn_scalar}; for Gemma those are off and the attention scale is head_dim^-0.5.
 *
 * @param slidingLayers per layer, whether it uses sliding-window attention
 * @param attnLogitSoftcap 0 for none
 * @param finalLogitSoftcap 0 for none
 */
public record GemmaConfig(HfConfig raw, String modelType, int vocabSize, int hiddenSize, int numLayers, int numHeads,
                          int numKvHeads, int headDim, int intermediateSize, int maxPositions, double rmsNormEps,
                          ActivationFunction activation, boolean tieWordEmbeddings, boolean attentionBias,
                          double attentionScale, double attnLogitSoftcap, double finalLogitSoftcap,
                          int slidingWindow, List<Boolean> slidingLayers, RopeScaling rope) implements ConfigTokenIds {

    /**
     * Makes an unmodifiable copy of {@code slidingLayers}.
     *
     * @param raw               the whole config.json
     * @param modelType         {@code gemma} or {@code gemma2}
     * @param vocabSize         {@code vocab_size}
     * @param hiddenSize        {@code hidden_size}
     * @param numLayers         {@code num_hidden_layers}
     * @param numHeads          {@code num_attention_heads}
     * @param numKvHeads        {@code num_key_value_heads}
     * @param headDim           {@code head_dim}
     * @param intermediateSize  {@code intermediate_size}, the feed-forward width
     * @param maxPositions      {@code max_position_embeddings}
     * @param rmsNormEps        {@code rms_norm_eps}
     * @param activation        {@code hidden_activation} (or {@code hidden_act})
     * @param tieWordEmbeddings {@code tie_word_embeddings}
     * @param attentionBias     {@code attention_bias}
     * @param attentionScale    the factor attention scores are multiplied by
     * @param attnLogitSoftcap  Gemma 2's attention logit soft cap, 0 for none
     * @param finalLogitSoftcap Gemma 2's output logit soft cap, 0 for none
     * @param slidingWindow     Gemma 2's sliding window length, 0 for none
     * @param slidingLayers     per layer, whether it uses the sliding window
     * @param rope              rotary embedding settings
     */
    public GemmaConfig {
        slidingLayers = Collections.unmodifiableList(new ArrayList<>(slidingLayers));
    }

    /**
     * Reads a {@code gemma} or {@code gemma2} config; a missing shape key, or a size, epsilon or scale that is not
     * positive, is an error naming it.
     *
     * @param c the parsed {@code config.json}
     * @return the typed config
     * @throws io.microw.io.ConfigException on a missing shape key or a size, epsilon or scale that is not positive
     * @throws ModelLoadException on an unsupported setting
     */
    public static GemmaConfig from(HfConfig c) {
        String type = c.modelType();
        boolean v2 = type.equals("gemma2");
        if (c.getBoolean("use_bidirectional_attention", false)) {
            throw new ModelLoadException(c.source() + ": use_bidirectional_attention=true (an encoder) is not "
                    + "supported; microw runs Gemma as a causal decoder");
        }
        int hidden = c.requirePositiveInt("hidden_size");
        int heads = c.requirePositiveInt("num_attention_heads");
        int layers = c.requirePositiveInt("num_hidden_layers");
        int headDim = c.getPositiveInt("head_dim", hidden / heads);
        int maxPositions = c.getPositiveInt("max_position_embeddings", 8192);
        double scalar = v2 ? c.getPositiveDouble("query_pre_attn_scalar", 256) : headDim;
        String act = c.getString("hidden_activation", c.getString("hidden_act", "gelu_pytorch_tanh"));
        return new GemmaConfig(c, type,
                c.requirePositiveInt("vocab_size"),
                hidden,
                layers,
                heads,
                c.getPositiveInt("num_key_value_heads", heads),
                headDim,
                c.requirePositiveInt("intermediate_size"),
                maxPositions,
                c.getPositiveDouble("rms_norm_eps", 1e-6),
                ActivationFunction.fromConfig(act),
                c.getBoolean("tie_word_embeddings", true),
                c.getBoolean("attention_bias", false),
                Math.pow(scalar, -0.5),
                v2 ? softcap(c, "attn_logit_softcapping", 50.0) : 0,
                v2 ? softcap(c, "final_logit_softcapping", 30.0) : 0,
                v2 ? c.getInt("sliding_window", 4096) : 0,
                v2 ? slidingLayers(c, layers) : Collections.nCopies(layers, false),
                RopeConfig.read(c, headDim, maxPositions));
    }

    /** HF's default when the key is absent; JSON null switches capping off. */
    private static double softcap(HfConfig c, String key, double def) {
        return c.json().has(key) ? c.getDouble(key, 0) : def;
    }

    /** {@code layer_types} when given, else HF's older rule: even layers slide. */
    private static List<Boolean> slidingLayers(HfConfig c, int layers) {
        JsonNode types = c.json().path("layer_types");
        List<Boolean> sliding = new ArrayList<>();
        if (!types.isArray() || types.isEmpty()) {
            for (int i = 0; i < layers; i++) {
                sliding.add(i % 2 == 0);
            }
            return sliding;
        }
        if (types.size() != layers) {
            throw new ModelLoadException(c.source() + ": layer_types has " + types.size() + " entries but "
                    + "num_hidden_layers is " + layers + "; expected one entry per layer");
        }
        for (JsonNode t : types) {
            String name = t.asText();
            if (!name.equals("sliding_attention") && !name.equals("full_attention")) {
                throw new ModelLoadException(c.source() + ": layer_types entry '" + name + "' is not supported; "
                        + "expected sliding_attention or full_attention");
            }
            sliding.add(name.equals("sliding_attention"));
        }
        return sliding;
    }

    /**
     * Gemma 2's post-attention and pre/post feed-forward norms around each sublayer.
     *
     * @return true for {@code gemma2}, false for {@code gemma}
     */
    public boolean sandwichNorms() {
        return modelType.equals("gemma2");
    }

    /** Prefix of HF's class names: {@code Gemma} or {@code Gemma2}. */
    String classPrefix() {
        return sandwichNorms() ? "Gemma2" : "Gemma";
    }

    @Override
    public String architecture() {
        return classPrefix() + "ForCausalLM";
    }
}
