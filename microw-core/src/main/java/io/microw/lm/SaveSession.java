package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.data.TextDataset;
import io.microw.hooks.Detector;
import io.microw.hooks.LayerActivationDetector;
import io.microw.store.BatchContents;
import io.microw.store.LocalStore;
import io.microw.store.RunStatus;
import io.microw.store.RunWriter;
import io.microw.store.Store;
import io.microw.tokenizer.Encodings;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** One call of {@link Activations#saveActivations}: computes batches, hands them to the writer, tracks progress. */
final class SaveSession {

    private final LanguageModel lm;
    private final String runId;
    private final List<BatchCapture> captures;
    private final InferenceOptions inference;
    private final RunMetadata meta;
    private final SaveOptions options;
    private final LocalStore store;
    private final long batchesTotal;
    private final Instant started = Instant.now();
    private final long startNanos = System.nanoTime();
    private long batchesDone;
    private long sessionBatches;
    private long tokens;
    private long realTokens;
    private long sessionTokens;

    SaveSession(LanguageModel lm, String runId, List<BatchCapture> captures, String stop, RunMetadata meta,
                SaveOptions options, TextDataset dataset) {
        this.lm = lm;
        this.runId = runId;
        this.captures = captures;
        this.inference = InferenceOptions.defaults().withMaxLength(options.maxLength()).withStopAfterLayer(stop);
        this.meta = meta;
        this.options = options;
        this.store = options.store();
        this.batchesTotal = dataset.length().isPresent()
                ? (dataset.length().getAsLong() + options.batchSize() - 1) / options.batchSize() : -1;
    }

    String run(Iterator<List<String>> batches) {
        RunWriter writer = store.writer(runId);
        if (options.resume() && Files.exists(writer.directory().resolve("meta.json"))) {
            meta.checkResumable(store.runMetadata(runId));
        }
        int skip = writer.open(options.resume());
        for (int i = 0; i < skip; i++) {
            count(store.batchMetadata(runId, i), false);
        }
        writer.writeMeta(snapshot(RunStatus.RUNNING));
        try (BackgroundWriter background = new BackgroundWriter(writer, options.queueCapacity(), this::written)) {
            int index = 0;
            for (; batches.hasNext(); index++) {
                List<String> texts = batches.next();
                if (index >= skip) {
                    background.submit(index, compute(index, texts));
                }
            }
            background.finish();
        } catch (RuntimeException | Error e) {
            try {
                writer.writeMeta(snapshot(e instanceof SaveStoppedException stop ? stop.status() : RunStatus.FAILED));
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        writer.writeMeta(snapshot(RunStatus.COMPLETE));
        return runId;
    }

    private BatchContents compute(int index, List<String> texts) {
        List<Detector> others = otherDetectors();
        others.stream().filter(d -> d instanceof LayerActivationDetector)
                .forEach(d -> ((LayerActivationDetector) d).clearCaptured());
        BatchContents contents = new BatchContents();
        try (InferenceResult result = lm.inference().executeInference(texts, inference)) {
            for (BatchCapture capture : captures) {
                float[] values = capture.take();
                if (values == null) {
                    throw new IllegalStateException("layer '" + capture.layerSignature() + "' did not run before the "
                            + "forward stopped after '" + result.stoppedAfter().orElse("") + "'; save with "
                            + "SaveOptions.withStopAfterDeepestLayer(false)");
                }
                contents.addFloats(Activations.dirName(capture.layerSignature()), Store.ACTIVATIONS, capture.shape(),
                        values, options.dtype());
            }
            for (Detector d : others) {
                saveTensorMetadata(contents, d);
            }
            addInputs(contents, index, result.encodings());
        }
        return contents;
    }

    /**
     * Stores a registered detector's tensors under its layer as {@code <detector id>} (a single
     * {@code activations} tensor, as LayerActivationDetector keeps) or {@code <detector id>.<name>}.
     */
    private void saveTensorMetadata(BatchContents contents, Detector d) {
        Map<String, NDArray> tensors = d.tensorMetadata();
        boolean single = tensors.size() == 1 && tensors.containsKey("activations");
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            String key = single ? d.id() : d.id() + "." + e.getKey();
            NDArray a = e.getValue().toType(DataType.FLOAT32, false);
            contents.addFloats(Activations.dirName(lm.layers().layerOf(d.id())),
                    key.replaceAll("[^A-Za-z0-9._-]", "_").replaceFirst("^\\.", "_"),
                    a.getShape().getShape(), a.toFloatArray(), options.dtype());
        }
    }

    /** Enabled detectors the user registered (not this session's own captures). */
    private List<Detector> otherDetectors() {
        return lm.layers().detectors().stream()
                .filter(d -> !(d instanceof BatchCapture) && d.isEnabled())
                .toList();
    }

    private void addInputs(BatchContents contents, int index, Encodings enc) {
        long[] shape = {enc.batchSize(), enc.seqLength()};
        long[] mask = flatten(enc.attentionMask());
        long real = 0;
        for (long m : mask) {
            real += m;
        }
        if (options.saveAttentionMasks()) {
            contents.addLongs(Store.ATTENTION_MASKS, Store.ATTENTION_MASK, shape, mask);
        }
        if (options.saveInputIds()) {
            contents.addLongs(Store.INPUT_IDS, Store.INPUT_IDS, shape, flatten(enc.inputIds()));
            contents.addLongs(Store.SPECIAL_TOKENS_MASK, Store.SPECIAL_TOKENS_MASK, shape,
                    flatten(enc.specialTokensMask()));
        }
        ObjectNode md = contents.metadata();
        md.put("batch_index", index);
        md.put("texts", enc.batchSize());
        md.put("seq_length", enc.seqLength());
        md.put("tokens", (long) enc.batchSize() * enc.seqLength());
        md.put("real_tokens", real);
    }

    private static long[] flatten(long[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        long[] flat = new long[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return flat;
    }

    /** Writer thread: a batch is on disk. */
    private void written(BatchContents contents, int index) {
        SaveProgress p;
        synchronized (this) {
            count(contents.metadata(), true);
            p = new SaveProgress(runId, batchesDone, batchesTotal, sessionTokens, elapsed(),
                    sessionTokens / Math.max(1e-9, elapsed().toNanos() / 1e9), sessionBatches);
        }
        options.progress().accept(p);
    }

    private synchronized void count(ObjectNode batchMeta, boolean thisSession) {
        batchesDone++;
        tokens += batchMeta.path("tokens").asLong();
        realTokens += batchMeta.path("real_tokens").asLong();
        if (thisSession) {
            sessionBatches++;
            sessionTokens += batchMeta.path("real_tokens").asLong();
        }
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    private synchronized ObjectNode snapshot(RunStatus status) {
        return meta.snapshot(status, batchesDone, tokens, realTokens, started, elapsed().toNanos() / 1e9,
                sessionTokens);
    }
}
