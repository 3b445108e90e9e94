package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.nn.ActivationFunction;
import io.microw.nn.RopeScaling;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code config.json} of a pre-norm rotary decoder: Llama, Mistral, Qwen2, Qwen3 and Phi-3 (which shares the
 * shapes and adds fused projections). Every shape and flag is read from the config; a missing key takes the
 * default of that model type's transformers config class (e.g. Qwen2 always has q/k/v biases, Qwen3's
 * {@code head_dim} defaults to 128, Mistral's {@code sliding_window} to 4096).
 *
 * @param qkvBias       biases on the query, key and value projections
 * @param outputBias    bias on the attention output projection
 * @param qkNorm        RMSNorm over head_dim on queries and keys before rotary (Qwen3)
 * @param fused         one {@code qkv_proj} and one {@code gate_up_proj}, with residual dropouts (Phi-3)
 * @param layerWindows  per layer, the sliding attention window (0: full causal attention)
 */
public record LlamaConfig(HfConfig raw, String modelType, String architecture, int vocabSize, int hiddenSize,
                          int intermediateSize, int numLayers, int numHeads, int numKvHeads, int headDim,
                          int maxPositions, double rmsNormEps, ActivationFunction activation,
                          boolean tieWordEmbeddings, boolean qkvBias, boolean outputBias, boolean mlpBias,
                          boolean qkNorm, boolean fused, RopeScaling rope, List<Integer> layerWindows)
        implements ConfigTokenIds {

    /**
     * Checks that the key/value heads divide the query heads, that {@code headDim} is positive and that
     * {@code layerWindows} has one entry per layer.
     *
     * @param raw               the whole config.json
     * @param modelType         llama, mistral, qwen2, qwen3 or phi3
     * @param architecture      the Hugging Face class, e.g. {@code LlamaForCausalLM}
     * @param vocabSize         {@code vocab_size}
     * @param hiddenSize        {@code hidden_size}
     * @param intermediateSize  {@code intermediate_size}, the feed-forward width
     * @param numLayers         {@code num_hidden_layers}
     * @param numHeads          {@code num_attention_heads}
     * @param numKvHeads        {@code num_key_value_heads}, dividing {@code numHeads}
     * @param headDim           {@code head_dim}, positive
     * @param maxPositions      {@code max_position_embeddings}
     * @param rmsNormEps        {@code rms_norm_eps}
     * @param activation        {@code hidden_act}
     * @param tieWordEmbeddings {@code tie_word_embeddings}
     * @param qkvBias           whether the query, key and value projections have a bias
     * @param outputBias        whether the attention output projection has a bias
     * @param mlpBias           whether the feed-forward projections have a bias
     * @param qkNorm            whether queries and keys are RMS-normalised per head (Qwen3)
     * @param fused             whether the checkpoint fuses the projections (Phi-3)
     * @param rope              rotary embedding settings
     * @param layerWindows      per layer, its sliding window length, 0 for full attention
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
    }

    /**
     * Reads a config of model type llama, mistral, qwen2, qwen3 or phi3; a missing shape key, or a size or epsilon
     * that is not positive, is an error naming it.
     *
     * @param c the parsed {@code config.json}
     * @return the typed config
     * @throws io.microw.io.ConfigException on a missing shape key or a size or epsilon that is not positive
     * @throws ModelLoadException on head counts that do not divide, or an unsupported setting
     */
    public static LlamaConfig from(HfConfig c) {
        String type = c.modelType();
        int hidden = c.requirePositiveInt("hidden_size");
        int heads = c.requirePositiveInt("num_attention_heads");
        int layers = c.requirePositiveInt("num_hidden_layers");
        int maxPositions = c.requirePositiveInt("max_position_embeddings");
        boolean qwen = type.equals("qwen2") || type.equals("qwen3");
        int headDim = c.getPositiveInt("head_dim", type.equals("qwen3") ? 128 : hidden / heads);
        boolean attentionBias = c.getBoolean("attention_bias", false);
        boolean qkvBias;
        boolean outputBias;
        switch (type) {
            case "llama":
            case "qwen3":
                qkvBias = attentionBias;
                outputBias = attentionBias;
                break;
            case "qwen2":
                qkvBias = true;
                outputBias = false;
                break;
            case "mistral":
            case "phi3":
                qkvBias = false;
                outputBias = false;
                break;
            default:
                throw new ModelLoadException(c.source() + ": model_type '" + type + "' is not a Llama-like decoder; "
                        + "expected llama, mistral, qwen2, qwen3 or phi3");
        }
        return new LlamaConfig(c, type, architecture(type), c.requirePositiveInt("vocab_size"), hidden,
                c.requirePositiveInt("intermediate_size"), layers, heads, c.getPositiveInt("num_key_value_heads", heads),
                headDim, maxPositions, c.getPositiveDouble("rms_norm_eps", type.equals("phi3") ? 1e-5 : 1e-6),
                ActivationFunction.fromConfig(c.getString("hidden_act", "silu")),
                c.getBoolean("tie_word_embeddings", false), qkvBias, outputBias,
                type.equals("llama") && c.getBoolean("mlp_bias", false), type.equals("qwen3"), type.equals("phi3"),
                RopeConfig.read(c, headDim, maxPositions), qwen ? qwenWindows(c, layers) : uniformWindow(c, type, layers));
    }

    private static String architecture(String type) {
        switch (type) {
            case "llama":
                return "LlamaForCausalLM";
            case "mistral":
                return "MistralForCausalLM";
            case "qwen2":
                return "Qwen2ForCausalLM";
            case "qwen3":
                return "Qwen3ForCausalLM";
            default:
                return "Phi3ForCausalLM";
        }
    }

    /** Mistral and Phi-3: {@code sliding_window} on every layer when set (Mistral's default is 4096, Phi-3's none). */
    private static List<Integer> uniformWindow(HfConfig c, String type, int layers) {
        int fallback = type.equals("mistral") && !c.json().has("sliding_window") ? 4096 : 0;
        return windows(layers, c.getInt("sliding_window", fallback), i -> true);
    }

    /**
     * Qwen2/Qwen3: a window only with {@code use_sliding_window}; then on the layers {@code layer_types} marks
     * {@code sliding_attention}, or without that list on layers from {@code max_window_layers} on.
     */
    private static List<Integer> qwenWindows(HfConfig c, int layers) {
        int window = c.getBoolean("use_sliding_window", false) ? c.getInt("sliding_window", 4096) : 0;
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
        return List.copyOf(out);
    }

    /**
     * The class prefix Hugging Face uses for this type's modules: {@code Llama}, {@code Qwen2}, {@code Phi3}.
     *
     * @return the architecture name without its {@code ForCausalLM} suffix
     */
    public String classPrefix() {
        return architecture.substring(0, architecture.length() - "ForCausalLM".length());
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
