package io.microw.concepts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.data.TextDataset;
import io.microw.lm.InferenceOptions;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.store.Store;
import io.microw.store.StoredTensor;

import java.util.Iterator;
import java.util.List;

/**
 * Fills a {@link TopTextTracker} without a live hook: from a saved activation run (the stored activations, masks and
 * input ids; the model is not run again) or by streaming a dataset through a model with the SAE attached. Given the
 * same texts in the same batches, both give the tracker exactly what live tracking gives it.
 */
public final class OfflineTopTexts {

    private OfflineTopTexts() {
    }

    /**
     * Encodes every stored batch of {@code layer} in run {@code runId} with the SAE and adds it to the tracker. The run
     * must hold input ids (saved by default) and attention masks; special tokens are left out when the run has their
     * mask. Returns the number of batches read.
     *
     * @param store the store holding the run
     * @param runId the run
     * @param layer the stored layer the SAE reads
     * @param sae the SAE, whose input width must be the layer's
     * @param tracker the tracker to feed
     * @return the number of batches read
     */
    public static int fromStore(Store store, String runId, String layer, Sae sae, TopTextTracker tracker) {
        int batches = 0;
        for (int batch : store.listBatches(runId)) {
            StoredTensor acts = store.readTensor(runId, batch, layer, Store.ACTIVATIONS);
            long[] shape = acts.shape();
            if (shape.length != 3) {
                throw new SaeException("layer '" + layer + "' of run '" + runId + "' batch " + batch + " has shape "
                        + java.util.Arrays.toString(shape) + "; top texts need [batch, seq, d]");
            }
            sae.checkInputWidth(shape[2], layer);
            int rows = (int) shape[0];
            int seq = (int) shape[1];
            long[] mask = store.readTensor(runId, batch, Store.ATTENTION_MASKS, Store.ATTENTION_MASK).requireLongs();
            List<String> layers = store.batchLayers(runId, batch);
            if (!layers.contains(Store.INPUT_IDS)) {
                throw new SaeException("run '" + runId + "' has no input ids in batch " + batch
                        + "; save activations with input ids to find top texts offline");
            }
            long[] ids = store.readTensor(runId, batch, Store.INPUT_IDS, Store.INPUT_IDS).requireLongs();
            long[] special = layers.contains(Store.SPECIAL_TOKENS_MASK)
                    ? store.readTensor(runId, batch, Store.SPECIAL_TOKENS_MASK, Store.SPECIAL_TOKENS_MASK).requireLongs()
                    : null;
            boolean[][] counted = new boolean[rows][seq];
            long[][] tokenIds = new long[rows][seq];
            for (int b = 0; b < rows; b++) {
                for (int s = 0; s < seq; s++) {
                    int i = b * seq + s;
                    counted[b][s] = mask[i] != 0 && (special == null || special[i] == 0);
                    tokenIds[b][s] = ids[i];
                }
            }
            try (NDManager manager = sae.newManager()) {
                NDArray x = manager.create(acts.requireFloats(), new Shape(shape));
                tracker.add(TokenLatents.fromCodes(sae, sae.encode(x), counted, tokenIds, List.of()));
            }
            batches++;
        }
        return batches;
    }

    /**
     * Streams a dataset through the model in batches of {@code batchSize} texts with the SAE attached at
     * {@code layer} (a {@link SaeHook} of its own) and text tracking on the given tracker; the forward stops after the
     * layer, the SAE only observes, and it is detached afterwards. Returns the number of texts seen.
     *
     * @param lm the model
     * @param sae the SAE, whose input width must be the layer's output width
     * @param layer name, alias or index of the layer
     * @param texts the texts to run
     * @param batchSize texts per forward
     * @param tracker the tracker to feed
     * @return the number of texts seen
     */
    public static long fromDataset(LanguageModel lm, Sae sae, String layer, TextDataset texts, int batchSize,
                                   TopTextTracker tracker) {
        long before = tracker.textsSeen();
        try (SaeHook hook = new SaeHook(sae)) {
            hook.concepts().setMode(SaeMode.OBSERVE);
            hook.concepts().useTracker(tracker);
            hook.attachTo(lm, layer);
            InferenceOptions options = InferenceOptions.defaults().withStopAfterLayer(layer);
            for (Iterator<List<String>> it = texts.iterBatches(batchSize); it.hasNext(); ) {
                lm.inference().executeInference(it.next(), options).close();
            }
        }
        return tracker.textsSeen() - before;
    }
}
