package io.microw.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.demo.BrownGpt2;
import io.microw.lm.SaveOptions;
import io.microw.store.LocalStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What an activation-saving job runs, whichever front end asked for it ({@code microw activations save}, or {@code
 * POST /api/jobs/activations}): the model, the layers, the texts per forward, the truncation and the run's name, with
 * their defaults here and nowhere else. Where the texts come from is each front end's own (a file, a Brown split, a
 * request's texts or a Hub dataset).
 *
 * @param model     the model, as {@link ModelReference} reads it (the server's: an id it allows)
 * @param layers    the layers to save: names, aliases or indices, at least one
 * @param batchSize texts per forward, at least 1
 * @param maxLength the most tokens a text keeps, 0 for the model's context
 * @param run       the run's name, or null for one made when the run starts
 */
public record ActivationsJobSpec(String model, List<String> layers, int batchSize, int maxLength, String run) {

    /** The model when none is named: the embedded demo model. */
    public static final String DEFAULT_MODEL = BrownGpt2.NAME;

    /** Texts per forward when none is given. */
    public static final int DEFAULT_BATCH_SIZE = 8;

    /** The truncation when none is given: 0, the model's context. */
    public static final int DEFAULT_MAX_LENGTH = 0;

    /** Checks the fields; a bad one is an {@link IllegalArgumentException} naming it and its value. */
    public ActivationsJobSpec {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(layers, "layers");
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("an activations job needs at least one layer");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("the batch size must be at least 1, got " + batchSize);
        }
        if (maxLength < 0) {
            throw new IllegalArgumentException("the max length must be 0 (the model's context) or more, got "
                    + maxLength);
        }
    }

    /**
     * A job saving {@code layers} of {@code model}, with the default batch size and truncation and a made run name.
     *
     * @param model  the model
     * @param layers the layers, at least one
     * @return the spec
     */
    public static ActivationsJobSpec of(String model, List<String> layers) {
        return new ActivationsJobSpec(model, layers, DEFAULT_BATCH_SIZE, DEFAULT_MAX_LENGTH, null);
    }

    /**
     * This job with {@code batchSize} texts per forward.
     *
     * @param batchSize texts per forward, at least 1
     * @return the spec
     */
    public ActivationsJobSpec withBatchSize(int batchSize) {
        return new ActivationsJobSpec(model, layers, batchSize, maxLength, run);
    }

    /**
     * This job truncating texts to {@code maxLength} tokens.
     *
     * @param maxLength tokens, 0 for the model's context
     * @return the spec
     */
    public ActivationsJobSpec withMaxLength(int maxLength) {
        return new ActivationsJobSpec(model, layers, batchSize, maxLength, run);
    }

    /**
     * This job saving into run {@code run}.
     *
     * @param run the run's name, or null for one made when the run starts
     * @return the spec
     */
    public ActivationsJobSpec withRun(String run) {
        return new ActivationsJobSpec(model, layers, batchSize, maxLength, run);
    }

    /**
     * The save options of this job into {@code store}: its run name, batch size and truncation, and the core's
     * defaults for the rest, which each front end adds to (progress, resume, dataset identity...).
     *
     * @param store the store
     * @return the options
     */
    public SaveOptions saveOptions(LocalStore store) {
        return SaveOptions.into(store).withRunName(run).withBatchSize(batchSize).withMaxLength(maxLength);
    }

    /**
     * Writes the spec into a job's parameters: {@code model}, {@code layers}, {@code batch_size}, {@code max_length}
     * and {@code run} (when named).
     *
     * @param params the job's parameters
     */
    public void writeTo(ObjectNode params) {
        params.put("model", model);
        ArrayNode l = params.putArray("layers");
        layers.forEach(l::add);
        params.put("batch_size", batchSize);
        params.put("max_length", maxLength);
        if (run != null) {
            params.put("run", run);
        }
    }

    /**
     * The spec {@link #writeTo} wrote; an absent field takes its default.
     *
     * @param params a job's parameters
     * @return the spec
     */
    public static ActivationsJobSpec readFrom(JsonNode params) {
        List<String> layers = new ArrayList<>();
        params.path("layers").forEach(l -> layers.add(l.asText()));
        return new ActivationsJobSpec(params.path("model").asText(DEFAULT_MODEL), layers,
                params.path("batch_size").asInt(DEFAULT_BATCH_SIZE), params.path("max_length").asInt(DEFAULT_MAX_LENGTH),
                params.hasNonNull("run") ? params.get("run").asText() : null);
    }
}
