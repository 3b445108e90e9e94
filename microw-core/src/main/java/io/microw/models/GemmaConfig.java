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
 * {@code GemmaConfig} and {@code Gemma2Config}. What Gemma 2 adds (soft-capping, sliding-window layers, sandwich
 * norms, {@code query_pre_attn_scalar}) is its {@link GemmaVariant} row; without them the attention scale is
 * head_dim^-0.5.
 *
 * @param variant           the model type's row of {@link GemmaVariant#TABLE}
 * @param slidingLayers     per layer, whether it uses sliding-window attention
 * @param attnLogitSoftcap  0 for none
 * @param finalLogitSoftcap 0 for none
 */
public record GemmaConfig(HfConfig raw, GemmaVariant variant, int vocabSize, int hiddenSize, int numLayers,
                          int numHeads, int numKvHeads, int headDim, int intermediateSize, int maxPositions,
                          double rmsNormEps, ActivationFunction activation, double attentionScale,
                          double attnLogitSoftcap, double finalLogitSoftcap, int slidingWindow,
                          List<Boolean> slidingLayers, RopeScaling rope) implements ConfigTokenIds {

    /**
     * Makes an unmodifiable copy of {@code slidingLayers}.
     *
     * @param raw               the whole config.json
     * @param variant           the model type's settings
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
     * @param attentionScale    the factor attention scores are multiplied by
     * @param attnLogitSoftcap  the attention logit soft cap, 0 for none
     * @param finalLogitSoftcap the output logit soft cap, 0 for none
     * @param slidingWindow     the sliding window length, 0 for none
     * @param slidingLayers     per layer, whether it uses the sliding window
     * @param rope              rotary embedding settings
     */
    public GemmaConfig {
        slidingLayers = Collections.unmodifiableList(new ArrayList<>(slidingLayers));
    }

    /**
     * Reads a config whose model type is in {@link GemmaVariant#TABLE}; a missing shape key, or a size, epsilon or
     * scale that is not positive, is an error naming it.
     *
     * @param c the parsed {@code config.json}
     * @return the typed config
     * @throws io.microw.io.ConfigException on a missing shape key or a size, epsilon or scale that is not positive
     * @throws ModelLoadException on an unknown model type or an unsupported setting
     */
    public static GemmaConfig from(HfConfig c) {
        GemmaVariant v = GemmaVariant.of(c.source(), c.modelType());
        if (c.getBoolean("use_bidirectional_attention", false)) {
            throw new ModelLoadException(c.source() + ": use_bidirectional_attention=true (an encoder) is not "
                    + "supported; microw runs Gemma as a causal decoder");
        }
        int hidden = c.requirePositiveInt("hidden_size");
        int heads = c.requirePositiveInt("num_attention_heads");
        int layers = c.requirePositiveInt("num_hidden_layers");
        int headDim = c.getPositiveInt("head_dim", hidden / heads);
        int maxPositions = c.getPositiveInt("max_position_embeddings", 8192);
        double scalar = v.queryPreAttnScalar().isPresent()
                ? c.getPositiveDouble("query_pre_attn_scalar", v.queryPreAttnScalar().getAsDouble()) : headDim;
        String act = c.getString("hidden_activation", c.getString("hidden_act", "gelu_pytorch_tanh"));
        boolean slides = v.slidingWindow().isPresent();
        return new GemmaConfig(c, v,
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
                Math.pow(scalar, -0.5),
                softcap(c, "attn_logit_softcapping", v.attnLogitSoftcap()),
                softcap(c, "final_logit_softcapping", v.finalLogitSoftcap()),
                slides ? c.getInt("sliding_window", v.slidingWindow().getAsInt()) : 0,
                slides ? slidingLayers(c, layers) : Collections.nCopies(layers, false),
                RopeConfig.read(c, headDim, maxPositions));
    }

    /** 0 when the variant has no cap, else the key's value (HF's default when absent; JSON null switches it off). */
    private static double softcap(HfConfig c, String key, java.util.OptionalDouble def) {
        if (def.isEmpty()) {
            return 0;
        }
        return c.json().has(key) ? c.getDouble(key, 0) : def.getAsDouble();
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
     * Whether each sublayer output is normalised again ({@link GemmaVariant.NormPlacement#SANDWICH}).
     *
     * @return true for sandwich norms
     */
    public boolean sandwichNorms() {
        return variant.norms() == GemmaVariant.NormPlacement.SANDWICH;
    }

    /** Prefix of HF's class names: {@code Gemma} or {@code Gemma2}. */
    String classPrefix() {
        return variant.classPrefix();
    }

    @Override
    public String modelType() {
        return variant.modelType();
    }

    @Override
    public String architecture() {
        return classPrefix() + "ForCausalLM";
    }

    @Override
    public boolean tieWordEmbeddings() {
        return raw.getBoolean("tie_word_embeddings", true);
    }

    /**
     * {@code attention_bias}: biases on the q, k, v and o projections.
     *
     * @return true when they have one
     */
    public boolean attentionBias() {
        return raw.getBoolean("attention_bias", false);
    }
}
