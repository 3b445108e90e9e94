package io.microw.models;

import java.util.List;
import java.util.Set;

/**
 * How one model type of the Llama-like family differs from the others, as a row of named settings: which
 * projections carry biases, Qwen3's q/k norms, Phi-3's fused projections, and the defaults the model type's
 * transformers config class gives missing keys. {@link #TABLE} lists every supported model type; rows are built
 * with {@link #builder}, which starts from no biases, no q/k norm, separate projections, {@code head_dim =
 * hidden_size / num_attention_heads}, {@code rms_norm_eps} 1e-6 and no sliding window.
 *
 * @param modelType            {@code model_type} in config.json
 * @param classPrefix          the prefix of Hugging Face's class names, e.g. {@code Qwen2} for {@code Qwen2MLP}
 * @param qkvBias              whether the query, key and value projections have a bias
 * @param outputBias           whether the attention output projection has a bias
 * @param mlpBias              whether the feed-forward projections have a bias
 * @param qkNorm               RMSNorm over head_dim on queries and keys before rotary
 * @param fusedProjections     one {@code qkv_proj} and one {@code gate_up_proj}, with residual dropouts
 * @param defaultHeadDim       {@code head_dim} when the config omits it, 0 for hidden_size / num_attention_heads
 * @param defaultRmsNormEps    {@code rms_norm_eps} when the config omits it
 * @param slidingWindows       which layers use {@code sliding_window}
 * @param defaultSlidingWindow {@code sliding_window} when the config omits the key (0: none); a JSON null is none
 */
public record LlamaVariant(String modelType, String classPrefix, ConfigFlag qkvBias, ConfigFlag outputBias,
                           ConfigFlag mlpBias, boolean qkNorm, boolean fusedProjections, int defaultHeadDim,
                           double defaultRmsNormEps, SlidingWindows slidingWindows, int defaultSlidingWindow) {

    /** Which layers of a Llama-like model attend within {@code sliding_window}. */
    public enum SlidingWindows {
        /** Every layer, when {@code sliding_window} is set (Mistral, Phi-3). */
        EVERY_LAYER,
        /**
         * Only with {@code use_sliding_window}: the layers {@code layer_types} marks {@code sliding_attention}, or
         * without that list the layers from {@code max_window_layers} on (Qwen2, Qwen3).
         */
        WHEN_USE_SLIDING_WINDOW
    }

    /** The supported model types, written from each transformers modeling and config class. */
    public static final List<LlamaVariant> TABLE = List.of(
            builder("llama", "Llama")
                    .qkvBias(ConfigFlag.fromConfig("attention_bias"))
                    .outputBias(ConfigFlag.fromConfig("attention_bias"))
                    .mlpBias(ConfigFlag.fromConfig("mlp_bias"))
                    .build(),
            builder("mistral", "Mistral")
                    .slidingWindows(SlidingWindows.EVERY_LAYER, 4096)
                    .build(),
            builder("qwen2", "Qwen2")
                    .qkvBias(ConfigFlag.ON)
                    .slidingWindows(SlidingWindows.WHEN_USE_SLIDING_WINDOW, 4096)
                    .build(),
            builder("qwen3", "Qwen3")
                    .qkvBias(ConfigFlag.fromConfig("attention_bias"))
                    .outputBias(ConfigFlag.fromConfig("attention_bias"))
                    .qkNorm()
                    .defaultHeadDim(128)
                    .slidingWindows(SlidingWindows.WHEN_USE_SLIDING_WINDOW, 4096)
                    .build(),
            builder("phi3", "Phi3")
                    .fusedProjections()
                    .defaultRmsNormEps(1e-5)
                    .slidingWindows(SlidingWindows.EVERY_LAYER, 0)
                    .build());

    private static final VariantTable<LlamaVariant> BY_TYPE =
            new VariantTable<>("Llama-like decoder", TABLE, LlamaVariant::modelType);

    /**
     * The row for a model type.
     *
     * @param source    names the config in the error, e.g. its path
     * @param modelType {@code model_type} from config.json
     * @return the variant
     * @throws ModelLoadException naming the type and the known ones when it is not in {@link #TABLE}
     */
    public static LlamaVariant of(String source, String modelType) {
        return BY_TYPE.get(source, modelType);
    }

    /** The model types of {@link #TABLE}, in order. */
    static Set<String> modelTypes() {
        return BY_TYPE.modelTypes();
    }

    /**
     * A row that starts from the plain settings listed on {@link LlamaVariant}.
     *
     * @param modelType   {@code model_type}
     * @param classPrefix the prefix of Hugging Face's class names
     * @return a builder for that row
     */
    public static Builder builder(String modelType, String classPrefix) {
        return new Builder(modelType, classPrefix);
    }

    /** Names each setting of a {@link LlamaVariant} row. */
    public static final class Builder {

        private final String modelType;
        private final String classPrefix;
        private ConfigFlag qkvBias = ConfigFlag.OFF;
        private ConfigFlag outputBias = ConfigFlag.OFF;
        private ConfigFlag mlpBias = ConfigFlag.OFF;
        private boolean qkNorm;
        private boolean fusedProjections;
        private int defaultHeadDim;
        private double defaultRmsNormEps = 1e-6;
        private SlidingWindows slidingWindows = SlidingWindows.EVERY_LAYER;
        private int defaultSlidingWindow;

        private Builder(String modelType, String classPrefix) {
            this.modelType = modelType;
            this.classPrefix = classPrefix;
        }

        /**
         * Biases on the query, key and value projections.
         *
         * @param flag fixed or read from the config
         * @return this builder
         */
        public Builder qkvBias(ConfigFlag flag) {
            this.qkvBias = flag;
            return this;
        }

        /**
         * Bias on the attention output projection.
         *
         * @param flag fixed or read from the config
         * @return this builder
         */
        public Builder outputBias(ConfigFlag flag) {
            this.outputBias = flag;
            return this;
        }

        /**
         * Biases on the feed-forward projections.
         *
         * @param flag fixed or read from the config
         * @return this builder
         */
        public Builder mlpBias(ConfigFlag flag) {
            this.mlpBias = flag;
            return this;
        }

        /**
         * Per-head RMSNorm on queries and keys ({@code q_norm}, {@code k_norm}).
         *
         * @return this builder
         */
        public Builder qkNorm() {
            this.qkNorm = true;
            return this;
        }

        /**
         * Fused {@code qkv_proj} and {@code gate_up_proj} with residual dropouts.
         *
         * @return this builder
         */
        public Builder fusedProjections() {
            this.fusedProjections = true;
            return this;
        }

        /**
         * {@code head_dim} when the config omits it.
         *
         * @param headDim positive
         * @return this builder
         */
        public Builder defaultHeadDim(int headDim) {
            this.defaultHeadDim = headDim;
            return this;
        }

        /**
         * {@code rms_norm_eps} when the config omits it.
         *
         * @param eps positive
         * @return this builder
         */
        public Builder defaultRmsNormEps(double eps) {
            this.defaultRmsNormEps = eps;
            return this;
        }

        /**
         * Which layers slide, and the window when the config omits {@code sliding_window}.
         *
         * @param windows       the layers that slide
         * @param defaultWindow the window length when the key is absent, 0 for none
         * @return this builder
         */
        public Builder slidingWindows(SlidingWindows windows, int defaultWindow) {
            this.slidingWindows = windows;
            this.defaultSlidingWindow = defaultWindow;
            return this;
        }

        /**
         * The row.
         *
         * @return the variant
         */
        public LlamaVariant build() {
            return new LlamaVariant(modelType, classPrefix, qkvBias, outputBias, mlpBias, qkNorm, fusedProjections,
                    defaultHeadDim, defaultRmsNormEps, slidingWindows, defaultSlidingWindow);
        }
    }
}
