package io.microw.sae;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gives an SAE loaded by release what SAELens' {@code from_pretrained} gives it beyond its files: the release's
 * {@code config_overrides} and the Neuronpedia id in the config's metadata, the release's model and a derived hook
 * name where the files record none, the registry's {@code norm_scaling_factor} folded in when the config says
 * {@code normalize_activations: expected_average_only_in}, and a {@link PretrainedSaeInfo}.
 */
final class PretrainedMetadata {

    private static final String EXPECTED_AVERAGE = "expected_average_only_in";
    private static final String KWARGS = "model_from_pretrained_kwargs";

    private PretrainedMetadata() {
    }

    /**
     * Updates a freshly loaded SAE.
     *
     * @param sae       the SAE, as {@link Sae#load} read it
     * @param release   its release
     * @param entry     its registry entry
     * @param converter the release's format
     * @param folder    the local folder it was read from
     */
    static void apply(Sae sae, SaeRelease release, SaeRelease.Entry entry, SaeConverter converter, Path folder) {
        SaeConfig c = sae.config();
        String model = c.modelName().isEmpty() ? release.model() : c.modelName();
        String hook = c.hookName().isEmpty() ? converter.hookName(release.repoId(), entry.path()) : c.hookName();
        Map<String, Object> metadata = new LinkedHashMap<>(c.metadata());
        metadata.putAll(release.configOverrides());
        if (entry.neuronpediaId() != null) {
            metadata.put("neuronpedia_id", entry.neuronpediaId());
        }
        if (converter == SaeConverter.SAE_LENS && EXPECTED_AVERAGE.equals(metadata.get(SaeLensFormat.NORMALIZE_ACTIVATIONS))
                && entry.normScalingFactor() != null && sae.inputScale() == 1f) {
            sae.setInputScale(entry.normScalingFactor().floatValue());
            sae.foldInputScale();
            metadata.put(SaeLensFormat.NORMALIZE_ACTIVATIONS, "none");
        }
        Map<String, Object> kwargs = new LinkedHashMap<>();
        if (metadata.get(KWARGS) instanceof Map<?, ?> given) {
            given.forEach((k, v) -> {
                if (v != null) {
                    kwargs.put(String.valueOf(k), v);
                }
            });
        }
        SaeConfig described = new SaeConfig(c.architecture(), c.dIn(), c.dSae(), c.k(), c.applyBDecToInput(), model,
                hook, metadata);
        sae.describePretrained(described, new PretrainedSaeInfo(release.name(), entry.id(), release.repoId(),
                entry.path(), folder, model, hook, kwargs, entry.neuronpediaId()));
    }
}
