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
 * <p>SAELens' {@code prepend_bos} (true by default there) is checked too. An attached {@link SaeHook} makes the model
 * follow it ({@link io.microw.hooks.Hook#prependBos()}), so attaching only disagrees when the model was loaded with
 * another {@link io.microw.lm.LoadOptions#withPrependBos}; a splice registers nothing, so there the model's own
 * setting (its LoadOptions, else whether its tokenizer adds a BOS token) must match.
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
     * Checks an SAE against the model it is being attached to or spliced into: warns or refuses on a mismatch of
     * weight processing or of {@code prepend_bos}.
     *
     * @param lm       the model
     * @param config   the SAE's config
     * @param attached true for a hook registered on the model (the model's texts then follow the SAE's
     *                 {@code prepend_bos} unless its LoadOptions set one), false for a splice (they do not)
     * @throws IllegalArgumentException in {@link #REFUSE} mode when they do not match
     */
    public void check(LanguageModel lm, SaeConfig config, boolean attached) {
        List<String> problems = new ArrayList<>();
        describe(config, lm.loadOptions().weightProcessing()).ifPresent(problems::add);
        Optional<Boolean> wanted = trainedPrependBos(config);
        if (wanted.isPresent() && lm.hasTokenizer()) {
            boolean hasBos = lm.tokenizer().bosTokenId().isPresent();
            boolean modelPrepends = lm.loadOptions().prependBos()
                    .orElseGet(() -> attached ? wanted.get() && hasBos : lm.tokenizer().addsBos());
            if (wanted.get() && !hasBos) {
                problems.add(sae(config) + " was trained with prepend_bos=true but this model's tokenizer has no BOS"
                        + " token (no single-token bos_token in tokenizer_config.json), so its texts run without one");
            } else {
                describePrependBos(config, modelPrepends).ifPresent(problems::add);
            }
        }
        if (problems.isEmpty()) {
            return;
        }
        if (this == REFUSE) {
            throw new IllegalArgumentException(String.join("; also ", problems));
        }
        problems.forEach(problem -> LOG.warn("{}", problem));
    }

    /**
     * The {@code prepend_bos} an SAE's activations were computed with, from its SAELens metadata.
     *
     * @param config the SAE's config
     * @return true when every training text started with the BOS token, false when none did, empty when the SAE
     *         does not say
     */
    public static Optional<Boolean> trainedPrependBos(SaeConfig config) {
        return config.metadata().get("prepend_bos") instanceof Boolean wanted ? Optional.of(wanted) : Optional.empty();
    }

    /**
     * Whether the SAE's {@code prepend_bos} metadata disagrees with what the model does to texts, with the options
     * that would match.
     *
     * @param config        the SAE's config
     * @param modelPrepends whether the model's texts start with the BOS token
     * @return the mismatch, or empty when they agree or the SAE does not say
     */
    public static Optional<String> describePrependBos(SaeConfig config, boolean modelPrepends) {
        Optional<Boolean> trained = trainedPrependBos(config);
        if (trained.isEmpty() || trained.get() == modelPrepends) {
            return Optional.empty();
        }
        boolean wanted = trained.get();
        return Optional.of(sae(config) + " was trained with prepend_bos=" + wanted + " but this model runs texts "
                + (modelPrepends ? "with" : "without") + " a BOS token first, so its activations differ from the"
                + " SAE's training data; load the model with LoadOptions.defaults().withPrependBos(" + wanted + ")"
                + " (or leave it unset: an attached SAE sets it) or pass InferenceOptions.defaults().withPrependBos("
                + wanted + ") per call; with token ids, " + (wanted ? "put the BOS token id first in each row"
                        : "drop the BOS token from each row"));
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
        return Optional.of(sae(config) + " was trained on a model loaded with model_from_pretrained_kwargs " + kwargs
                + " (TransformerLens' from_pretrained_no_processing), but this model's weight processing differs: "
                + String.join(", ", differences)
                + (fixes.isEmpty() ? "" : "; load the model with LoadOptions.defaults()" + String.join("", fixes)));
    }

    /** "the SAE", with its hook name when it has one. */
    private static String sae(SaeConfig config) {
        return config.hookName().isEmpty() ? "the SAE" : "the SAE for " + config.hookName();
    }
}
