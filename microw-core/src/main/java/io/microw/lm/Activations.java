package io.microw.lm;

import io.microw.data.TextDataset;
import io.microw.hooks.LayerActivationDetector;
import io.microw.store.DatasetIdentity;
import io.microw.store.StoreNames;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Saves activations of a model over a dataset into a store, as mi-crow's {@code save_activations} does; reach it
 * as {@code lm.activations()}.
 * <p>
 * Each batch of texts is run through the model (stopping, by default, after the deepest requested layer in model
 * order) and written as {@code batch_<i>} of the run: the requested layers' outputs
 * ({@code <layer>/activations.safetensors}), the attention mask, the input ids and special-token mask, and the
 * data of every other enabled {@link LayerActivationDetector} registered on the model
 * ({@code <layer>/<detector id>.safetensors}; detectors of other kinds have no data API yet and are not saved).
 * Batches are written by a background thread while the next one computes, each under a temporary name renamed
 * when complete, so a killed run can be resumed ({@link SaveOptions#withResume}) and ends byte-identical to an
 * uninterrupted one. A resume is refused when the run was saved with another model (name and config hash, see
 * {@link SaveOptions#withModelName}), other layers or options, or another dataset
 * ({@link SaveOptions#withDataset}), and while another live process writes the run.
 * <p>
 * Every layer name is checked before anything is written. A layer that already has a controller cannot be saved
 * (a layer takes detectors or controllers, not both).
 */
public final class Activations {


    private final LanguageModel lm;

    Activations(LanguageModel lm) {
        this.lm = lm;
    }

    /**
     * Saves {@code layers} over {@code texts}; returns the run id.
     *
     * @param texts   the texts, in order
     * @param layers  layer names, aliases or indices
     * @param options the store, run name, batch size and the rest
     * @return the run id (the one given in {@code options}, else a timestamp)
     */
    public String saveActivations(List<String> texts, List<String> layers, SaveOptions options) {
        Objects.requireNonNull(texts, "texts");
        Objects.requireNonNull(options, "options");
        return saveActivations(new TextList(texts), layers, options.dataset() != null ? options
                : options.withDataset(DatasetIdentity.of(DatasetIdentity.Kind.TEXTS, "inline")));
    }

    /**
     * Saves {@code layers} (names, aliases or indices) over {@code dataset}; returns the run id.
     *
     * @param dataset the texts, read in batches
     * @param layers  layer names, aliases or indices
     * @param options the store, run name, batch size and the rest
     * @return the run id (the one given in {@code options}, else a timestamp)
     */
    public String saveActivations(TextDataset dataset, List<String> layers, SaveOptions options) {
        Objects.requireNonNull(dataset, "dataset");
        Objects.requireNonNull(options, "options");
        List<String> canonical = canonicalLayers(layers);
        if (!lm.hasTokenizer()) {
            throw new IllegalStateException("this model has no tokenizer (no tokenizer.json), so it cannot read texts;"
                    + " load a model directory with tokenizer.json to save activations");
        }
        String stop = options.stopAfterDeepestLayer() ? stopLayer(canonical) : null;
        String runId = StoreNames.check("run id",
                options.runName() != null ? options.runName() : StoreNames.newRunId());
        options.store().runDirectory(runId);
        DatasetIdentity identity = (options.dataset() != null ? options.dataset()
                : DatasetIdentity.of(DatasetIdentity.Kind.OTHER, dataset.describe())).withFirstRows(dataset);
        Iterator<List<String>> batches = dataset.iterBatches(options.batchSize());
        if (!batches.hasNext()) {
            throw new IllegalArgumentException("dataset '" + dataset.describe() + "' is empty: nothing to save");
        }
        List<BatchCapture> captures = new ArrayList<>();
        try {
            for (String layer : canonical) {
                BatchCapture capture = new BatchCapture(layer, "microw-save-" + runId + "-" + dirName(layer));
                lm.layers().registerHook(layer, capture);
                captures.add(capture);
            }
            RunMetadata meta = new RunMetadata(runId, lm, canonical.stream().map(Activations::dirName).toList(),
                    stop, dataset, identity, options);
            return new SaveSession(lm, runId, captures, stop, meta, options, dataset).run(batches);
        } finally {
            captures.forEach(c -> lm.layers().unregisterHook(c.id()));
        }
    }

    /** Canonical names, without repeats, in the order given; an unknown layer is an error. */
    private List<String> canonicalLayers(List<String> layers) {
        if (layers == null || layers.isEmpty()) {
            throw new IllegalArgumentException("no layers given: name at least one, e.g. 'transformer.h.0'");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String layer : layers) {
            String name = lm.layers().resolve(layer);
            if (!name.isEmpty() && !lm.layers().module(name).isCallable()) {
                throw new IllegalArgumentException("layer '" + layer + "' is a container that never runs; save one of"
                        + " its children, e.g. '" + lm.layers().module(name).children().get(0).name() + "'");
            }
            out.add(name);
        }
        return List.copyOf(out);
    }

    /** The requested layer that finishes last in model order; see {@link Layers#lastInModelOrder}. */
    String stopLayer(List<String> canonical) {
        return lm.layers().lastInModelOrder(canonical);
    }

    /** The directory a layer's data goes to: its canonical name, {@code root} for the whole model. */
    static String dirName(String canonical) {
        return canonical.isEmpty() ? Layers.ROOT : canonical;
    }
}
