package io.microw.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.io.DType;
import io.microw.io.SafetensorsFile;
import io.microw.io.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A {@link Store} in a local directory, laid out as mi-crow's LocalStore:
 * <pre>
 * &lt;base&gt;/runs/&lt;run_id&gt;/meta.json
 * &lt;base&gt;/runs/&lt;run_id&gt;/batch_&lt;i&gt;/metadata.json
 * &lt;base&gt;/runs/&lt;run_id&gt;/batch_&lt;i&gt;/&lt;layer&gt;/&lt;key&gt;.safetensors      one tensor named "tensor"
 * &lt;base&gt;/runs/&lt;run_id&gt;/batch_&lt;i&gt;/attention_masks/attention_mask.safetensors
 * </pre>
 * plus {@code input_ids/input_ids.safetensors} and {@code special_tokens_mask/special_tokens_mask.safetensors}.
 * Directories whose names start with a dot are unfinished batches and are never listed.
 */
public final class LocalStore implements Store {

    static final String META = "meta.json";
    private static final Pattern BATCH = Pattern.compile("batch_(\\d+)");

    private final Path base;

    /**
     * A store rooted at {@code base} (created on the first write).
     *
     * @param base the store's root directory
     */
    public LocalStore(Path base) {
        this.base = base.toAbsolutePath().normalize();
    }

    /**
     * The store's root directory.
     *
     * @return the absolute, normalised root
     */
    public Path base() {
        return base;
    }

    static String batchDirName(int index) {
        return "batch_" + index;
    }

    private Path runsDir() {
        return base.resolve("runs");
    }

    /**
     * The directory of a run (checked: the id cannot leave the store).
     *
     * @param runId the run id, a safe single path component
     * @return {@code base/runs/<runId>}, whether or not it exists
     */
    public Path runDirectory(String runId) {
        return StoreNames.resolve(runsDir(), "run id", runId);
    }

    private Path existingRun(String runId) {
        Path dir = runDirectory(runId);
        if (!Files.isDirectory(dir)) {
            throw new StoreException("no run '" + runId + "' in " + base + "; runs: " + listRuns());
        }
        return dir;
    }

    private Path batchDir(String runId, int batch) {
        Path dir = existingRun(runId).resolve(batchDirName(batch));
        if (batch < 0 || !Files.isDirectory(dir)) {
            throw new StoreException("run '" + runId + "' has no complete batch " + batch + "; batches: "
                    + describe(listBatches(runId)));
        }
        return dir;
    }

    /**
     * A writer for a run of this store (see {@link RunWriter#open(boolean)}).
     *
     * @param runId the run id, a safe single path component
     * @return a writer; nothing is created until {@link RunWriter#open(boolean)}
     */
    public RunWriter writer(String runId) {
        return new RunWriter(runId, runDirectory(runId));
    }

    @Override
    public List<String> listRuns() {
        return children(runsDir(), p -> Files.isDirectory(p) && !p.getFileName().toString().startsWith("."));
    }

    @Override
    public boolean hasRun(String runId) {
        return Files.isDirectory(runDirectory(runId));
    }

    /**
     * {@inheritDoc}
     * <p>
     * A run whose file says {@code running} while the process it names as its writer is gone (killed, crashed:
     * see {@link WriterProcess#isGone()}) is reported {@code interrupted}, with a {@code status_reason}; the file
     * itself is left as it is (the next writer of the run rewrites it).
     */
    @Override
    public ObjectNode runMetadata(String runId) {
        ObjectNode meta = readJson(existingRun(runId).resolve(META));
        if (RunStatus.RUNNING.id().equals(meta.path("status").asText())) {
            WriterProcess.fromJson(meta.get("writer")).filter(WriterProcess::isGone).ifPresent(writer -> {
                meta.put("status", RunStatus.INTERRUPTED.id());
                meta.put("status_reason", "meta.json says running, but its writer, " + writer + ", is gone (killed"
                        + " or crashed); its complete batches are kept and the run can be resumed");
            });
        }
        return meta;
    }

    @Override
    public List<Integer> listBatches(String runId) {
        List<Integer> out = new ArrayList<>();
        for (String name : children(existingRun(runId), Files::isDirectory)) {
            Matcher m = BATCH.matcher(name);
            if (m.matches()) {
                out.add(Integer.parseInt(m.group(1)));
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public ObjectNode batchMetadata(String runId, int batch) {
        return readJson(batchDir(runId, batch).resolve("metadata.json"));
    }

    @Override
    public List<String> batchLayers(String runId, int batch) {
        return children(batchDir(runId, batch), Files::isDirectory);
    }

    @Override
    public List<String> batchKeys(String runId, int batch, String layer) {
        Path dir = StoreNames.resolve(batchDir(runId, batch), "layer name", layer);
        List<String> keys = new ArrayList<>();
        for (String f : children(dir, Files::isRegularFile)) {
            if (f.endsWith(".safetensors") && !f.startsWith(".")) {
                keys.add(f.substring(0, f.length() - ".safetensors".length()));
            }
        }
        return keys;
    }

    @Override
    public StoredTensor readTensor(String runId, int batch, String layer, String key) {
        Path layerDir = StoreNames.resolve(batchDir(runId, batch), "layer name", layer);
        Path file = StoreNames.resolve(layerDir, "tensor key", key + ".safetensors");
        if (!Files.isRegularFile(file)) {
            throw new StoreException("batch " + batch + " of run '" + runId + "' has no tensor " + layer + "/" + key
                    + "; layers: " + batchLayers(runId, batch));
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            TensorInfo info = f.info(BatchContents.TENSOR_NAME);
            DType dtype = info.dtype();
            return dtype.isFloating()
                    ? new StoredTensor(dtype, info.shape(), f.readFloats(BatchContents.TENSOR_NAME), null)
                    : new StoredTensor(dtype, info.shape(), null, f.readLongs(BatchContents.TENSOR_NAME));
        }
    }

    @Override
    public boolean deleteRun(String runId) {
        Path dir = runDirectory(runId);
        if (!Files.exists(dir)) {
            return false;
        }
        try {
            AtomicFiles.deleteTree(dir);
            return true;
        } catch (IOException e) {
            throw new StoreException("cannot delete run '" + runId + "' at " + dir + ": " + e, e);
        }
    }

    private static ObjectNode readJson(Path file) {
        try {
            JsonNode node = RunWriter.JSON.readTree(file.toFile());
            if (!(node instanceof ObjectNode object)) {
                throw new StoreException(file + " does not hold a JSON object");
            }
            return object;
        } catch (IOException e) {
            throw new StoreException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<String> children(Path dir, java.util.function.Predicate<Path> keep) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(keep).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted()
                    .toList();
        } catch (IOException e) {
            throw new StoreException("cannot list " + dir + ": " + e, e);
        }
    }

    private static String describe(List<Integer> batches) {
        if (batches.isEmpty()) {
            return "none";
        }
        return batches.size() <= 10 ? batches.toString()
                : batches.get(0) + ".." + batches.get(batches.size() - 1) + " (" + batches.size() + ")";
    }
}
