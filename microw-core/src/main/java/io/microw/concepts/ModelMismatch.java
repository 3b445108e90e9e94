package io.microw.concepts;

import io.microw.lm.LanguageModel;
import io.microw.models.WeightProcessing;
import io.microw.sae.SaeConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What attaching or splicing an SAE does when its config's {@code model_from_pretrained_kwargs} says its activations
 * came from a model processed differently from the one it is attached to. SAELens loads that model with
 * TransformerLens' {@code from_pretrained_no_processing(**model_from_pretrained_kwargs)}: no weight processing except
 * what the kwargs turn on ({@code fold_ln}, {@code center_writing_weights}, {@code center_unembed},
 * {@code fold_value_biases}); the model's {@link io.microw.lm.LoadOptions#weightProcessing()} must be that. An SAE
 * without kwargs makes no claim and is never checked.
 *
 * <p>SAELens' {@code prepend_bos} (true by default there) is checked too, against whether the model's tokenizer adds
 * a BOS token; microw does not prepend one itself, so that mismatch is always a warning, never a refusal.
 */
public enum ModelMismatch {

    /** Log a warning naming the LoadOptions settings to use, and attach anyway. */
    WARN,
    /** Refuse with an {@link IllegalArgumentException} naming the LoadOptions settings to use. */
    REFUSE;

    private static final Logger LOG = LoggerFactory.getLogger(ModelMismatch.class);

    private static final List<String> SETTINGS = List.of("fold_ln", "center_writing_weights", "center_unembed",
            "fold_value_biases");
    private static final List<String> METHODS = List.of("withFoldLn", "withCenterWritingWeights",
            "withCenterUnembed", "withFoldValueBiases");

    /**
     * Checks an SAE against the model it is being attached to: warns or refuses on a mismatch.
     *
     * @param lm     the model
     * @param config the SAE's config
     * @throws IllegalArgumentException in {@link #REFUSE} mode when they do not match
     */
    public void check(LanguageModel lm, SaeConfig config) {
        if (lm.hasTokenizer()) {
            long[] ids = lm.tokenizer().encode("a");
            boolean addsBos = ids.length > 0 && lm.tokenizer().bosTokenId().isPresent()
                    && ids[0] == lm.tokenizer().bosTokenId().getAsLong();
            describePrependBos(config, addsBos).ifPresent(message -> LOG.warn("{}", message));
        }
        Optional<String> problem = describe(config, lm.loadOptions().weightProcessing());
        if (problem.isEmpty()) {
            return;
        }
        if (this == REFUSE) {
            throw new IllegalArgumentException(problem.get());
        }
        LOG.warn("{}", problem.get());
    }

    /**
     * Whether the SAE's {@code prepend_bos} metadata disagrees with the tokenizer: the SAE was trained with a BOS
     * token in front of every text and the tokenizer adds none, or the other way round.
     *
     * @param config        the SAE's config
     * @param tokenizerAddsBos whether encoding a text puts the BOS token first
     * @return the mismatch, or empty when they agree or the SAE does not say
     */
    public static Optional<String> describePrependBos(SaeConfig config, boolean tokenizerAddsBos) {
        if (!(config.metadata().get("prepend_bos") instanceof Boolean wanted) || wanted == tokenizerAddsBos) {
            return Optional.empty();
        }
        return Optional.of("the SAE" + (config.hookName().isEmpty() ? "" : " for " + config.hookName())
                + " was trained with prepend_bos=" + wanted + " but this model's tokenizer "
                + (tokenizerAddsBos ? "adds" : "does not add") + " a BOS token, so its activations differ from the"
                + " SAE's training data; " + (wanted ? "put the BOS token id first in each row of input ids"
                        : "drop the BOS token from each row of input ids") + " (microw does not change tokenization"
                + " for an SAE)");
    }

    /**
     * How a model loaded with {@code loaded} differs from what the SAE's {@code model_from_pretrained_kwargs} ask
     * for, with the LoadOptions settings that would match; empty when they match or the SAE names no kwargs.
     *
     * @param config the SAE's config
     * @param loaded the model's weight processing
     * @return the mismatch, or empty
     */
    public static Optional<String> describe(SaeConfig config, WeightProcessing loaded) {
        Map<String, Object> kwargs = config.modelFromPretrainedKwargs();
        if (kwargs.isEmpty()) {
            return Optional.empty();
        }
        boolean[] have = {loaded.foldLn(), loaded.centerWritingWeights(), loaded.centerUnembed(),
            loaded.foldValueBiases()};
        List<String> fixes = new ArrayList<>();
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < SETTINGS.size(); i++) {
            boolean wanted = Boolean.TRUE.equals(kwargs.get(SETTINGS.get(i)));
            if (wanted != have[i]) {
                differences.add(SETTINGS.get(i) + "=" + wanted + " (model: " + have[i] + ")");
                fixes.add("." + METHODS.get(i) + "(" + wanted + ")");
            }
        }
        if (Boolean.TRUE.equals(kwargs.get("refactor_factored_attn_matrices"))) {
            differences.add("refactor_factored_attn_matrices=true, which microw does not implement");
        }
        if (differences.isEmpty()) {
            return Optional.empty();
        }
        String sae = config.hookName().isEmpty() ? "the SAE" : "the SAE for " + config.hookName();
        return Optional.of(sae + " was trained on a model loaded with model_from_pretrained_kwargs " + kwargs
                + " (TransformerLens' from_pretrained_no_processing), but this model's weight processing differs: "
                + String.join(", ", differences)
                + (fixes.isEmpty() ? "" : "; load the model with LoadOptions.defaults()" + String.join("", fixes)));
    }
}
