package io.microw.lm;

import io.microw.io.DType;
import io.microw.store.DatasetIdentity;
import io.microw.store.LocalStore;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Options of {@link Activations#saveActivations}: where (store, run name), how much at once (batch size, maximum
 * length), what (stored dtype, attention masks, input ids), whether to stop the forward after the deepest requested
 * layer, whether to resume an interrupted run, a progress callback, and what the run records as the model's name
 * and the dataset's identity (which a resume checks). Immutable; each {@code with...} returns a changed copy.
 */
public final class SaveOptions {

    private LocalStore store;
    private String runName;
    private int batchSize = 8;
    private int maxLength;
    private DType dtype = DType.F32;
    private boolean saveAttentionMasks = true;
    private boolean saveInputIds = true;
    private boolean stopAfterDeepestLayer = true;
    private boolean resume;
    private int queueCapacity = 4;
    private Consumer<SaveProgress> progress = p -> { };
    private String modelName;
    private DatasetIdentity dataset;

    private SaveOptions() {
    }

    /**
     * Saves into {@code storeDirectory}: batches of 8, model context, float32, masks and ids, early stop.
     *
     * @param storeDirectory the store's root directory (created on the first write)
     * @return the options
     */
    public static SaveOptions into(Path storeDirectory) {
        return into(new LocalStore(storeDirectory));
    }

    /**
     * Like {@link #into(Path)} with a store object.
     *
     * @param store the store
     * @return the options, with the defaults of {@link #into(Path)}
     */
    public static SaveOptions into(LocalStore store) {
        SaveOptions o = new SaveOptions();
        o.store = Objects.requireNonNull(store, "store");
        return o;
    }

    private SaveOptions copy() {
        SaveOptions o = new SaveOptions();
        o.store = store;
        o.runName = runName;
        o.batchSize = batchSize;
        o.maxLength = maxLength;
        o.dtype = dtype;
        o.saveAttentionMasks = saveAttentionMasks;
        o.saveInputIds = saveInputIds;
        o.stopAfterDeepestLayer = stopAfterDeepestLayer;
        o.resume = resume;
        o.queueCapacity = queueCapacity;
        o.progress = progress;
        o.modelName = modelName;
        o.dataset = dataset;
        return o;
    }

    /**
     * The run id to use; {@code null} (default) makes one from the current time.
     *
     * @param name the run id, or {@code null}
     * @return the changed copy
     */
    public SaveOptions withRunName(String name) {
        SaveOptions o = copy();
        o.runName = name;
        return o;
    }

    /**
     * Texts per forward (default 8).
     *
     * @param size texts per forward, at least 1
     * @return the changed copy
     */
    public SaveOptions withBatchSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + size);
        }
        SaveOptions o = copy();
        o.batchSize = size;
        return o;
    }

    /**
     * Longest tokenized text, longer ones truncated (0, the default: the model's context).
     *
     * @param length the maximum length in tokens, or 0
     * @return the changed copy
     */
    public SaveOptions withMaxLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("max length must be >= 0 (0 = model context), got " + length);
        }
        SaveOptions o = copy();
        o.maxLength = length;
        return o;
    }

    /**
     * Dtype of the stored activations: F32 (default), F16 or BF16.
     *
     * @param storeAs F32, F16 or BF16
     * @return the changed copy
     */
    public SaveOptions withDtype(DType storeAs) {
        if (storeAs != DType.F32 && storeAs != DType.F16 && storeAs != DType.BF16) {
            throw new IllegalArgumentException("activations can be stored as F32, F16 or BF16, not " + storeAs);
        }
        SaveOptions o = copy();
        o.dtype = storeAs;
        return o;
    }

    /**
     * Whether each batch keeps its attention mask (default true; the loader needs it to drop padding).
     *
     * @param on whether attention masks are saved
     * @return the changed copy
     */
    public SaveOptions withSaveAttentionMasks(boolean on) {
        SaveOptions o = copy();
        o.saveAttentionMasks = on;
        return o;
    }

    /**
     * Whether each batch keeps its input ids and special-token mask (default true).
     *
     * @param on whether input ids and special-token masks are saved
     * @return the changed copy
     */
    public SaveOptions withSaveInputIds(boolean on) {
        SaveOptions o = copy();
        o.saveInputIds = on;
        return o;
    }

    /**
     * Whether the forward stops after the deepest requested layer, in model order (default true).
     *
     * @param on whether the forward stops early
     * @return the changed copy
     */
    public SaveOptions withStopAfterDeepestLayer(boolean on) {
        SaveOptions o = copy();
        o.stopAfterDeepestLayer = on;
        return o;
    }

    /**
     * Continue an existing run from its last complete batch (default false: an existing run is an error).
     *
     * @param on whether an existing run is continued
     * @return the changed copy
     */
    public SaveOptions withResume(boolean on) {
        SaveOptions o = copy();
        o.resume = on;
        return o;
    }

    /**
     * Batches computed but not yet written that may wait in memory (default 4).
     *
     * @param batches the queue's capacity in batches, at least 1
     * @return the changed copy
     */
    public SaveOptions withQueueCapacity(int batches) {
        if (batches < 1) {
            throw new IllegalArgumentException("queue capacity must be at least 1 batch, got " + batches);
        }
        SaveOptions o = copy();
        o.queueCapacity = batches;
        return o;
    }

    /**
     * Called after each batch is on disk (from the writer thread). A listener may stop the run by throwing a
     * {@link SaveStoppedException}: the batches on disk are kept, {@code meta.json} records the exception's status
     * ({@code cancelled} or {@code interrupted}), and the exception reaches the caller of
     * {@link Activations#saveActivations}.
     *
     * @param listener receives one report per saved batch
     * @return the changed copy
     */
    public SaveOptions withProgress(Consumer<SaveProgress> listener) {
        SaveOptions o = copy();
        o.progress = Objects.requireNonNull(listener, "listener");
        return o;
    }

    /**
     * The model's name as the run records it, for the model's identity (with its config hash): a name that does
     * not depend on where the model lies, such as {@code brown-gpt2} or a Hub id. By default ({@code null}) it is
     * the Hub repo id of a model loaded from the Hub cache, else the name of the model's folder.
     *
     * @param name the model's name, or {@code null} for the default
     * @return the changed copy
     */
    public SaveOptions withModelName(String name) {
        if (name != null && name.isBlank()) {
            throw new IllegalArgumentException("a model name must not be blank; pass null for the default");
        }
        SaveOptions o = copy();
        o.modelName = name;
        return o;
    }

    /**
     * What the texts are, as the run records it and a resume checks ({@link DatasetIdentity}: kind, source,
     * options; the hash of the first texts is added when saving). By default ({@code null}) a list of texts is
     * {@code texts inline} and any other dataset is described by its {@link io.microw.data.TextDataset#describe()}.
     *
     * @param identity the dataset's identity, or {@code null} for the default
     * @return the changed copy
     */
    public SaveOptions withDataset(DatasetIdentity identity) {
        SaveOptions o = copy();
        o.dataset = identity;
        return o;
    }

    /**
     * The store the run is saved into.
     *
     * @return the store
     */
    public LocalStore store() {
        return store;
    }

    /**
     * The run id, or {@code null} for one made from the current time.
     *
     * @return the run name, or {@code null}
     */
    public String runName() {
        return runName;
    }

    /**
     * Texts per forward.
     *
     * @return the batch size
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Longest tokenized text; 0 means the model's context.
     *
     * @return the maximum length
     */
    public int maxLength() {
        return maxLength;
    }

    /**
     * Dtype of the stored activations.
     *
     * @return F32, F16 or BF16
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * Whether each batch keeps its attention mask.
     *
     * @return true to save the masks
     */
    public boolean saveAttentionMasks() {
        return saveAttentionMasks;
    }

    /**
     * Whether each batch keeps its input ids and special-token mask.
     *
     * @return true to save them
     */
    public boolean saveInputIds() {
        return saveInputIds;
    }

    /**
     * Whether the forward stops after the deepest requested layer.
     *
     * @return true to stop early
     */
    public boolean stopAfterDeepestLayer() {
        return stopAfterDeepestLayer;
    }

    /**
     * Whether an existing run is continued from its last complete batch.
     *
     * @return true to resume
     */
    public boolean resume() {
        return resume;
    }

    /**
     * Batches computed but not yet written that may wait in memory.
     *
     * @return the queue capacity
     */
    public int queueCapacity() {
        return queueCapacity;
    }

    /**
     * The listener called after each batch is on disk.
     *
     * @return the listener
     */
    public Consumer<SaveProgress> progress() {
        return progress;
    }

    /**
     * The model's name the run records, or {@code null} for the default (Hub repo id or folder name).
     *
     * @return the model name, or {@code null}
     */
    public String modelName() {
        return modelName;
    }

    /**
     * The dataset's identity the run records, or {@code null} for the default.
     *
     * @return the identity, or {@code null}
     */
    public DatasetIdentity dataset() {
        return dataset;
    }
}
