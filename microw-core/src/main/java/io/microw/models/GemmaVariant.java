package io.microw.models;

import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * How one model type of the Gemma family differs from the other, as a row of named settings. Each optional
 * setting is empty when the model type has no such feature (its config key is then not read), else holds the
 * default of the model type's transformers config class for a config that omits the key. What every Gemma shares
 * (embeddings scaled by √hidden_size, norms scaling by 1 + w) is {@link Gemma}'s.
 *
 * @param modelType          {@code model_type} in config.json
 * @param classPrefix        the prefix of Hugging Face's class names, e.g. {@code Gemma2} for {@code Gemma2MLP}
 * @param norms              where the RMSNorms sit around each sublayer
 * @param attnLogitSoftcap   {@code attn_logit_softcapping}'s default (JSON null switches it off)
 * @param finalLogitSoftcap  {@code final_logit_softcapping}'s default (JSON null switches it off)
 * @param queryPreAttnScalar {@code query_pre_attn_scalar}'s default; empty: scores are scaled by head_dim^-0.5
 * @param slidingWindow      {@code sliding_window}'s default for the layers {@code layer_types} marks (without that
 *                           list, the even layers); empty: no layer slides
 */
public record GemmaVariant(String modelType, String classPrefix, NormPlacement norms, OptionalDouble attnLogitSoftcap,
                           OptionalDouble finalLogitSoftcap, OptionalDouble queryPreAttnScalar,
                           OptionalInt slidingWindow) {

    /** Where a decoder layer's RMSNorms sit. */
    public enum NormPlacement {
        /** {@code input_layernorm} before attention, {@code post_attention_layernorm} before the MLP. */
        PRE,
        /**
         * Also around the sublayer outputs: {@code post_attention_layernorm} normalises the attention output,
         * {@code pre_feedforward_layernorm} the MLP input, {@code post_feedforward_layernorm} its output.
         */
        SANDWICH
    }

    /** The supported model types, written from transformers' {@code GemmaConfig} and {@code Gemma2Config}. */
    public static final List<GemmaVariant> TABLE = List.of(
            new GemmaVariant("gemma", "Gemma", NormPlacement.PRE, OptionalDouble.empty(), OptionalDouble.empty(),
                    OptionalDouble.empty(), OptionalInt.empty()),
            new GemmaVariant("gemma2", "Gemma2", NormPlacement.SANDWICH, OptionalDouble.of(50.0),
                    OptionalDouble.of(30.0), OptionalDouble.of(256), OptionalInt.of(4096)));

    private static final VariantTable<GemmaVariant> BY_TYPE =
            new VariantTable<>("Gemma", TABLE, GemmaVariant::modelType);

    /**
     * The row for a model type.
     *
     * @param source    names the config in the error, e.g. its path
     * @param modelType {@code model_type} from config.json
     * @return the variant
     * @throws ModelLoadException naming the type and the known ones when it is not in {@link #TABLE}
     */
    public static GemmaVariant of(String source, String modelType) {
        return BY_TYPE.get(source, modelType);
    }

    /** The model types of {@link #TABLE}, in order. */
    static Set<String> modelTypes() {
        return BY_TYPE.modelTypes();
    }
}
