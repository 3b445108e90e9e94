package io.microw.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.io.JsonMapper;
import io.microw.io.SafetensorsException;
import io.microw.io.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Writes one run of a {@link LocalStore}, crash-safely: each batch is written under a temporary name
 * ({@code .batch_<i>.tmp}) and renamed to {@code batch_<i>} only when all of its files are complete, so a run
 * killed at any moment holds only complete batches and can be resumed from them.
 */
public final class RunWriter {

    static final ObjectMapper JSON = JsonMapper.mapper();

    private static final ObjectWriter PRETTY = JsonMapper.pretty();

    private final String runId;
    private final Path runDir;

    RunWriter(String runId, Path runDir) {
        this.runId = runId;
        this.runDir = runDir;
    }

    /**
     * The run's directory.
     *
     * @return the run directory
     */
    public Path directory() {
        return runDir;
    }

    /**
     * Creates the run's directory, or, with {@code resume}, reopens an existing run: temporary leftovers of an
     * interrupted batch are removed. Returns the number of complete batches ({@code batch_0..n-1}) to skip. A run
     * that exists without {@code resume} is an error, as is a directory that cannot be created.
     *
     * @param resume whether an existing run is continued instead of refused
     * @return the number of complete batches already in the run (0 for a new run)
     */
    public int open(boolean resume) {
        if (Files.exists(runDir)) {
            if (!resume) {
                throw new StoreException("run '" + runId + "' already exists in " + runDir.getParent()
                        + "; pass resume to continue it, delete it, or choose another run id");
            }
            removeLeftovers();
            int n = 0;
            while (Files.isDirectory(runDir.resolve(LocalStore.batchDirName(n)))) {
                n++;
            }
            return n;
        }
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new StoreException("cannot create run directory " + runDir + ": " + e
                    + " (is the store directory writable?)", e);
        }
        return 0;
    }

    private void removeLeftovers() {
        try (Stream<Path> children = Files.list(runDir)) {
            for (Path p : (Iterable<Path>) children::iterator) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(".tmp")) {
                    AtomicFiles.deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new StoreException("cannot clean up run directory " + runDir + ": " + e, e);
        }
    }

    /**
     * Writes batch {@code index} atomically; on failure nothing of it remains and earlier batches are untouched.
     *
     * @param index    the batch index; a complete batch with this index must not exist yet
     * @param contents the tensors and metadata to write
     */
    public void writeBatch(int index, BatchContents contents) {
        Path target = runDir.resolve(LocalStore.batchDirName(index));
        try {
            if (Files.exists(target) || !AtomicFiles.publishDirectory(target, tmp -> {
                for (BatchContents.Entry e : contents.entries()) {
                    Path layerDir = tmp.resolve(e.layer());
                    Files.createDirectories(layerDir);
                    SafetensorsWriter writer = new SafetensorsWriter();
                    e.putInto(writer);
                    writer.write(layerDir.resolve(e.key() + ".safetensors"));
                }
                Files.write(tmp.resolve("metadata.json"), PRETTY.writeValueAsBytes(contents.metadata()));
            })) {
                throw new FileAlreadyExistsException(target.toString());
            }
        } catch (IOException | SafetensorsException e) {
            throw new StoreException("cannot write batch " + index + " of run '" + runId + "' in " + runDir + ": "
                    + e.getMessage() + " (disk full or directory not writable?); the batches before it are complete"
                    + " and the run can be resumed", e);
        }
    }

    /**
     * Writes {@code meta.json} atomically (temporary file, then rename).
     *
     * @param meta the run's metadata, replacing any earlier {@code meta.json}
     */
    public void writeMeta(ObjectNode meta) {
        Path target = runDir.resolve(LocalStore.META);
        try {
            AtomicFiles.writeBytes(target, PRETTY.writeValueAsBytes(meta));
        } catch (IOException e) {
            throw new StoreException(e.getMessage() + " (disk full or directory not writable?)", e);
        }
    }

}
