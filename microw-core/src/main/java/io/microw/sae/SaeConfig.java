package io.microw.sae;

import java.util.Map;
import java.util.Objects;

/**
 * What defines an SAE besides its weights: architecture, sizes, {@code k}, whether the decoder bias is
 * subtracted from the input before encoding, and where it was trained (model and layer, kept as metadata).
 * Every value is saved to {@code cfg.json}. Validation errors name the value and what was expected.
 *
 * @param architecture     the activation rule
 * @param dIn              input width (the layer's hidden size)
 * @param dSae             number of latents
 * @param k                latents kept per row where the architecture {@link SaeArchitecture#usesK() uses k}; 0 otherwise
 * @param applyBDecToInput subtract {@code b_dec} from the input before encoding (SAELens' default: true)
 * @param modelName        model the SAE was trained on, or "" when unknown
 * @param hookName         layer the SAE reads, or "" when unknown
 * @param metadata         further cfg.json keys to keep (context size, dataset...), never interpreted
 */
public record SaeConfig(SaeArchitecture architecture, int dIn, int dSae, int k, boolean applyBDecToInput,
                        String modelName, String hookName, Map<String, Object> metadata) {

    /**
     * Validates the values and copies the metadata.
     *
     * @param architecture the activation rule
     * @param dIn input width, positive
     * @param dSae number of latents, positive
     * @param k latents kept per row, 1 to dSae - 1 where the architecture uses k, 0 otherwise
     * @param applyBDecToInput whether {@code b_dec} is subtracted from the input before encoding
     * @param modelName model the SAE was trained on, or ""
     * @param hookName layer the SAE reads, or ""
     * @param metadata further cfg.json keys, or null for none
     */
    public SaeConfig {
        Objects.requireNonNull(architecture, "architecture");
        if (dIn <= 0) {
            throw new SaeException("d_in must be positive, got " + dIn);
        }
        if (dSae <= 0) {
            throw new SaeException("d_sae (number of latents) must be positive, got " + dSae);
        }
        if (architecture.usesK() && (k <= 0 || k >= dSae)) {
            throw new SaeException("k must be in 1.." + (dSae - 1) + " (fewer than d_sae=" + dSae + "), got " + k);
        }
        if (!architecture.usesK() && k != 0) {
            throw new SaeException("k is only used by architectures that keep k latents per row, not "
                    + architecture.saeLensName() + " (got k=" + k + ")");
        }
        modelName = modelName == null ? "" : modelName;
        hookName = hookName == null ? "" : hookName;
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /**
     * A config with no model, layer or metadata recorded.
     *
     * @param architecture the activation rule
     * @param dIn input width
     * @param dSae number of latents
     * @param k latents kept per row (TopK, BatchTopK), 0 for the others
     * @return the config
     */
    public static SaeConfig of(SaeArchitecture architecture, int dIn, int dSae, int k) {
        return new SaeConfig(architecture, dIn, dSae, k, true, "", "", Map.of());
    }

    /**
     * This config with {@code applyBDecToInput} changed.
     *
     * @param on whether to subtract {@code b_dec} from the input
     * @return the changed config
     */
    public SaeConfig withApplyBDecToInput(boolean on) {
        return new SaeConfig(architecture, dIn, dSae, k, on, modelName, hookName, metadata);
    }

    /**
     * This config recording the model and layer it reads.
     *
     * @param model the model's name
     * @param hook the layer's name
     * @return the changed config
     */
    public SaeConfig withSource(String model, String hook) {
        return new SaeConfig(architecture, dIn, dSae, k, applyBDecToInput, model, hook, metadata);
    }

    /**
     * This config with other metadata.
     *
     * @param values further cfg.json keys
     * @return the changed config
     */
    public SaeConfig withMetadata(Map<String, Object> values) {
        return new SaeConfig(architecture, dIn, dSae, k, applyBDecToInput, modelName, hookName, values);
    }

    /**
     * SAELens' {@code model_from_pretrained_kwargs}: the keyword arguments of TransformerLens'
     * {@code from_pretrained_no_processing} that loaded the model whose activations trained this SAE (such as
     * {@code center_writing_weights: true}); empty when the config names none.
     *
     * @return the kwargs, unmodifiable
     */
    public Map<String, Object> modelFromPretrainedKwargs() {
        if (metadata.get("model_from_pretrained_kwargs") instanceof Map<?, ?> kwargs) {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            kwargs.forEach((key, value) -> out.put(String.valueOf(key), value));
            return java.util.Collections.unmodifiableMap(out);
        }
        return Map.of();
    }
}
