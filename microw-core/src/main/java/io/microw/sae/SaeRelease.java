package io.microw.sae;

import io.microw.util.EditDistance;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One release of SAELens' registry of pretrained SAEs ({@code pretrained_saes.yaml}): the Hub repository that holds
 * its SAEs, the model they read, the converter that names their file format, config overrides applied to every SAE
 * of the release, and the SAEs by id with their path in the repository.
 *
 * @param name            the release's name, e.g. {@code gemma-scope-2b-pt-res}
 * @param repoId          the Hub repository, or {@code classpath:<folder>} for a release shipped inside a jar
 * @param model           the model the SAEs were trained on, as SAELens names it (e.g. {@code gemma-2-2b})
 * @param converter       SAELens' {@code conversion_func}: the file format ({@code sae_lens} when the registry has none)
 * @param configOverrides SAELens' {@code config_overrides} (e.g. {@code model_from_pretrained_kwargs})
 * @param saes            the SAEs, in registry order
 */
public record SaeRelease(String name, String repoId, String model, String converter,
                         Map<String, Object> configOverrides, List<Entry> saes) {

    /** The converter of releases whose registry entry names none: SAELens' own folder layout. */
    public static final String SAE_LENS = "sae_lens";

    /** The prefix of a {@link #repoId} that names a resource folder on the class path instead of a Hub repo. */
    public static final String CLASSPATH = "classpath:";

    /**
     * One SAE of a release.
     *
     * @param id                its id within the release, e.g. {@code layer_12/width_16k/average_l0_82}
     * @param path              its folder in the repository
     * @param neuronpediaId     its Neuronpedia id, or null
     * @param normScalingFactor the input scaling factor SAELens folds in for {@code expected_average_only_in}, or null
     */
    public record Entry(String id, String path, String neuronpediaId, Double normScalingFactor) {

        /**
         * Checks the id and path are given.
         *
         * @param id                the SAE's id
         * @param path              its folder in the repository
         * @param neuronpediaId     its Neuronpedia id, or null
         * @param normScalingFactor its input scaling factor, or null
         */
        public Entry {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * Copies the maps and lists.
     *
     * @param name            the release's name
     * @param repoId          the Hub repository or {@code classpath:<folder>}
     * @param model           the model
     * @param converter       the file format's converter name
     * @param configOverrides config overrides, or null for none
     * @param saes            the SAEs
     */
    public SaeRelease {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(repoId, "repoId");
        model = model == null ? "" : model;
        converter = converter == null ? SAE_LENS : converter;
        configOverrides = configOverrides == null ? Map.of() : Map.copyOf(configOverrides);
        saes = List.copyOf(saes);
    }

    /**
     * Whether the release ships inside a jar ({@code repo_id: classpath:...}) and needs no network.
     *
     * @return true for an embedded release
     */
    public boolean embedded() {
        return repoId.startsWith(CLASSPATH);
    }

    /**
     * The SAE with this id; an id not in the release is an {@link SaeException} naming the closest valid ids.
     *
     * @param id the SAE's id
     * @return the SAE's entry
     */
    public Entry sae(String id) {
        for (Entry e : saes) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        List<String> ids = saes.stream().map(Entry::id).toList();
        throw new SaeException("SAE id '" + id + "' is not in release '" + name + "' (" + ids.size() + " ids); closest: "
                + closest(id, ids));
    }

    /**
     * Up to five of {@code candidates}, closest to {@code query} by edit distance first.
     *
     * @param query      the name that was not found
     * @param candidates the valid names
     * @return the closest valid names
     */
    static List<String> closest(String query, List<String> candidates) {
        return candidates.stream()
                .sorted(Comparator.comparingInt((String c) -> EditDistance.between(c, query)).thenComparing(c -> c))
                .limit(5)
                .toList();
    }
}
