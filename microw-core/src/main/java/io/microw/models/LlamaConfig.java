package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.nn.ActivationFunction;
import io.microw.nn.RopeScaling;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code config.json} of a pre-norm rotary decoder: Llama, Mistral, Qwen2, Qwen3 and Phi-3. How the model type
 * differs (biases, q/k norms, fused projections, defaults) is its {@link LlamaVariant} row; the shapes are read
 * from the config, a missing key taking the default of that model type's transformers config class.
 *
 * @param variant      the model type's row of {@link LlamaVariant#TABLE}
 * @param layerWindows per layer, the sliding attention window (0: full causal attention)
 */
public record LlamaConfig(HfConfig raw, LlamaVariant variant, int vocabSize, int hiddenSize, int intermediateSize,
                          int numLayers, int numHeads, int numKvHeads, int headDim, int maxPositions,
                          double rmsNormEps, ActivationFunction activation, RopeScaling rope,
                          List<Integer> layerWindows) implements ConfigTokenIds {

    /**
     * Checks that the key/value heads divide the query heads, that {@code headDim} is positive and that
     * {@code layerWindows} has one entry per layer.
     *
     * @param raw              the whole config.json
     * @param variant          the model type's settings
     * @param vocabSize        {@code vocab_size}
     * @param hiddenSize       {@code hidden_size}
     * @param intermediateSize {@code intermediate_size}, the feed-forward width
     * @param numLayers        {@code num_hidden_layers}
     * @param numHeads         {@code num_attention_heads}
     * @param numKvHeads       {@code num_key_value_heads}, dividing {@code numHeads}
     * @param headDim          {@code head_dim}, positive
     * @param maxPositions     {@code max_position_embeddings}
     * @param rmsNormEps       {@code rms_norm_eps}
     * @param activation       {@code hidden_act}
     * @param rope             rotary embedding settings
     * @param layerWindows     per layer, its sliding window length, 0 for full attention
     */
    public LlamaConfig {
        if (numHeads <= 0 || numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new ModelLoadException(raw.source() + ": num_attention_heads " + numHeads
                    + " must be a positive multiple of num_key_value_heads " + numKvHeads);
        }
        if (headDim <= 0 || layerWindows.size() != numLayers) {
            throw new ModelLoadException(raw.source() + ": head_dim " + headDim + " must be positive and "
                    + "layer_types must name " + numLayers + " layers, not " + layerWindows.size());
        }
        layerWindows = List.copyOf(layerWindows);
    }

    /**
     * Reads a config whose model type is in {@link LlamaVariant#TABLE}; a missing shape key, or a size or epsilon
     * that is not positive, is an error naming it.
     *
     * @param c the parsed {@code config.json}
     * @return the typed config
     * @throws io.microw.io.ConfigException on a missing shape key or a size or epsilon that is not positive
     * @throws ModelLoadException on an unknown model type, head counts that do not divide, or an unsupported setting
     */
    public static LlamaConfig from(HfConfig c) {
        LlamaVariant v = LlamaVariant.of(c.source(), c.modelType());
        int hidden = c.requirePositiveInt("hidden_size");
        int heads = c.requirePositiveInt("num_attention_heads");
        int layers = c.requirePositiveInt("num_hidden_layers");
        int maxPositions = c.requirePositiveInt("max_position_embeddings");
        int headDim = c.getPositiveInt("head_dim", v.defaultHeadDim() > 0 ? v.defaultHeadDim() : hidden / heads);
        return new LlamaConfig(c, v, c.requirePositiveInt("vocab_size"), hidden,
                c.requirePositiveInt("intermediate_size"), layers, heads, c.getPositiveInt("num_key_value_heads", heads),
                headDim, maxPositions, c.getPositiveDouble("rms_norm_eps", v.defaultRmsNormEps()),
                ActivationFunction.fromConfig(c.getString("hidden_act", "silu")),
                RopeConfig.read(c, headDim, maxPositions), layerWindows(c, v, layers));
    }

    /** Each layer's window under the variant's {@link LlamaVariant.SlidingWindows} rule. */
    private static List<Integer> layerWindows(HfConfig c, LlamaVariant v, int layers) {
        int window = c.json().has("sliding_window") ? c.getInt("sliding_window", 0) : v.defaultSlidingWindow();
        if (v.slidingWindows() == LlamaVariant.SlidingWindows.EVERY_LAYER) {
            return windows(layers, window, i -> true);
        }
        if (!c.getBoolean("use_sliding_window", false)) {
            return windows(layers, 0, i -> true);
        }
        if (c.json().path("layer_types").isArray()) {
            List<String> types = new ArrayList<>();
            c.json().path("layer_types").forEach(t -> types.add(t.asText()));
            if (types.size() != layers) {
                throw new ModelLoadException(c.source() + ": layer_types has " + types.size() + " entries; expected "
                        + layers + " (num_hidden_layers)");
            }
            return windows(layers, window, i -> types.get(i).equals("sliding_attention"));
        }
        int from = c.getInt("max_window_layers", 28);
        return windows(layers, window, i -> i >= from);
    }

    private static List<Integer> windows(int layers, int window, java.util.function.IntPredicate sliding) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            out.add(sliding.test(i) ? window : 0);
        }
        return out;
    }

    @Override
    public String modelType() {
        return variant.modelType();
    }

    @Override
    public String architecture() {
        return variant.classPrefix() + "ForCausalLM";
    }

    @Override
    public boolean tieWordEmbeddings() {
        return raw.getBoolean("tie_word_embeddings", false);
    }

    /**
     * Whether the query, key and value projections have a bias (the variant's rule applied to this config).
     *
     * @return true when they have one
     */
    public boolean qkvBias() {
        return variant.qkvBias().read(raw);
    }

    /**
     * Whether the attention output projection has a bias.
     *
     * @return true when it has one
     */
    public boolean outputBias() {
        return variant.outputBias().read(raw);
    }

    /**
     * Whether the feed-forward projections have a bias.
     *
     * @return true when they have one
     */
    public boolean mlpBias() {
        return variant.mlpBias().read(raw);
    }

    /**
     * The class prefix Hugging Face uses for this type's modules: {@code Llama}, {@code Qwen2}, {@code Phi3}.
     *
     * @return the architecture name without its {@code ForCausalLM} suffix
     */
    public String classPrefix() {
        return variant.classPrefix();
    }

    /**
     * Query heads sharing one key/value head.
     *
     * @return {@code numHeads / numKvHeads}
     */
    public int kvGroups() {
        return numHeads / numKvHeads;
    }

    /**
     * Standard deviation of the normal initialisation, {@code initializer_range} (default 0.02).
     *
     * @return the initializer range
     */
    public double initializerRange() {
        return raw.getDouble("initializer_range", 0.02);
    }
}
