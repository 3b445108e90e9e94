package io.microw.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * Where activation runs live: runs of batches, each batch holding tensors per layer. The layout follows mi-crow's
 * LocalStore ({@code runs/<run_id>/batch_<i>/<layer>/<key>.safetensors}), so Python users can open our runs.
 * Every run id and layer name is checked: none can reach outside the store.
 */
public interface Store {

    /** Layer directory of each batch's attention mask (key {@link #ATTENTION_MASK}). */
    String ATTENTION_MASKS = "attention_masks";
    /** Key of the attention mask tensor. */
    String ATTENTION_MASK = "attention_mask";
    /** Layer directory and key of each batch's input ids. */
    String INPUT_IDS = "input_ids";
    /** Layer directory and key of each batch's special-token mask (1 for BOS/EOS/pad and other special tokens). */
    String SPECIAL_TOKENS_MASK = "special_tokens_mask";
    /** Key of a requested layer's activations. */
    String ACTIVATIONS = "activations";

    /**
     * Run ids, sorted.
     *
     * @return the ids of the store's runs
     */
    List<String> listRuns();

    /**
     * Whether a run with this id exists.
     *
     * @param runId the run id
     * @return true when the run exists
     */
    boolean hasRun(String runId);

    /**
     * The run's {@code meta.json}, with its {@code status} as of now (see {@link RunStatus}); a
     * {@link StoreException} if the run does not exist.
     *
     * @param runId the run id
     * @return the parsed {@code meta.json}
     */
    ObjectNode runMetadata(String runId);

    /**
     * Indices of the run's complete batches, ascending.
     *
     * @param runId the run id
     * @return the batch indices
     */
    List<Integer> listBatches(String runId);

    /**
     * A batch's {@code metadata.json}.
     *
     * @param runId the run id
     * @param batch the batch index
     * @return the parsed {@code metadata.json}
     */
    ObjectNode batchMetadata(String runId, int batch);

    /**
     * The layer directories of a batch (requested layers, detector layers, attention_masks, input_ids...).
     *
     * @param runId the run id
     * @param batch the batch index
     * @return the layer directory names
     */
    List<String> batchLayers(String runId, int batch);

    /**
     * The tensor keys stored for one layer of a batch.
     *
     * @param runId the run id
     * @param batch the batch index
     * @param layer the layer directory name
     * @return the keys (file names without {@code .safetensors})
     */
    List<String> batchKeys(String runId, int batch, String layer);

    /**
     * Reads {@code batch_<i>/<layer>/<key>.safetensors}.
     *
     * @param runId the run id
     * @param batch the batch index
     * @param layer the layer directory name
     * @param key   the tensor key
     * @return the tensor, its values loaded
     */
    StoredTensor readTensor(String runId, int batch, String layer, String key);

    /**
     * Deletes the run, all of it; false if it did not exist.
     *
     * @param runId the run id
     * @return true when a run was deleted
     */
    boolean deleteRun(String runId);
}
