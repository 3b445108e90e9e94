package io.microw.sae;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where an SAE loaded by release ({@link Sae#fromPretrained}) comes from and what it was trained on, as SAELens'
 * registry and the SAE's files say.
 *
 * @param release                   the registry release, e.g. {@code gemma-scope-2b-pt-res}
 * @param saeId                     the SAE's id in the release
 * @param repoId                    the Hub repository (or {@code classpath:<folder>} for an embedded release)
 * @param path                      the SAE's folder in the repository
 * @param folder                    the local folder its files were read from
 * @param modelName                 the model it reads (from its config, else the release's model)
 * @param hookName                  the hook it reads (from its config, else derived as SAELens does), or ""
 * @param modelFromPretrainedKwargs how the model must be loaded for the activations it was trained on
 *                                  (SAELens' {@code model_from_pretrained_kwargs}), empty when none is recorded
 * @param neuronpediaId             its Neuronpedia id, or null
 */
public record PretrainedSaeInfo(String release, String saeId, String repoId, String path, Path folder,
                                String modelName, String hookName, Map<String, Object> modelFromPretrainedKwargs,
                                String neuronpediaId) {

    /**
     * Checks the names and copies the map.
     *
     * @param release                   the release
     * @param saeId                     the SAE's id
     * @param repoId                    the repository
     * @param path                      its folder in the repository
     * @param folder                    the local folder
     * @param modelName                 the model
     * @param hookName                  the hook, or ""
     * @param modelFromPretrainedKwargs the model's load options, or null for none
     * @param neuronpediaId             the Neuronpedia id, or null
     */
    public PretrainedSaeInfo {
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(saeId, "saeId");
        Objects.requireNonNull(repoId, "repoId");
        Objects.requireNonNull(folder, "folder");
        modelName = modelName == null ? "" : modelName;
        hookName = hookName == null ? "" : hookName;
        modelFromPretrainedKwargs = modelFromPretrainedKwargs == null ? Map.of() : Map.copyOf(modelFromPretrainedKwargs);
    }
}
