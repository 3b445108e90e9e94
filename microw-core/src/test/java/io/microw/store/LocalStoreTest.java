package io.microw.store;

import io.microw.io.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalStoreTest {

    static final List<String> BAD_NAMES = List.of("../x", "..", ".", "/etc", "/tmp/abs", "a/b", "a\\b", "..\\x",
            ".hidden", "", "nul\0byte", "c:x");

    /** A run "r" of two batches [2, 3, 2] with a mask; row values encode (batch, text, position). */
    static LocalStore twoBatches(Path dir) {
        LocalStore store = new LocalStore(dir);
        RunWriter w = store.writer("r");
        assertThat(w.open(false)).isZero();
        for (int b = 0; b < 2; b++) {
            float[] acts = new float[2 * 3 * 2];
            for (int i = 0; i < acts.length; i++) {
                acts[i] = b * 100 + i;
            }
            BatchContents c = new BatchContents()
                    .addFloats("layer.0", Store.ACTIVATIONS, new long[] {2, 3, 2}, acts, DType.F32)
                    .addLongs(Store.ATTENTION_MASKS, Store.ATTENTION_MASK, new long[] {2, 3}, new long[] {1, 1, 1, 1, 1, 0})
                    .addLongs(Store.SPECIAL_TOKENS_MASK, Store.SPECIAL_TOKENS_MASK, new long[] {2, 3},
                            new long[] {1, 0, 0, 1, 0, 1});
            c.metadata().put("batch_index", b);
            w.writeBatch(b, c);
        }
        w.writeMeta(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("run_id", "r"));
        return store;
    }

    @Test
    void listsAndReadsBack(@TempDir Path dir) {
        LocalStore store = twoBatches(dir);
        assertThat(store.listRuns()).containsExactly("r");
        assertThat(store.runMetadata("r").get("run_id").asText()).isEqualTo("r");
        assertThat(store.listBatches("r")).containsExactly(0, 1);
        assertThat(store.batchMetadata("r", 1).get("batch_index").asInt()).isEqualTo(1);
        assertThat(store.batchLayers("r", 0)).containsExactly("attention_masks", "layer.0", "special_tokens_mask");
        assertThat(store.batchKeys("r", 0, "layer.0")).containsExactly("activations");
        StoredTensor t = store.readTensor("r", 1, "layer.0", "activations");
        assertThat(t.shape()).containsExactly(2, 3, 2);
        assertThat(t.floats()[0]).isEqualTo(100f);
        assertThat(store.readTensor("r", 0, "attention_masks", "attention_mask").longs()).containsExactly(1, 1, 1, 1, 1, 0);
        assertThat(dir.resolve("runs/r/batch_0/layer.0/activations.safetensors")).isRegularFile();
        assertThatThrownBy(() -> store.readTensor("r", 5, "layer.0", "activations")).isInstanceOf(StoreException.class)
                .hasMessageContaining("no complete batch 5");
        assertThatThrownBy(() -> store.runMetadata("nope")).isInstanceOf(StoreException.class)
                .hasMessageContaining("no run 'nope'");
        assertThat(store.deleteRun("r")).isTrue();
        assertThat(store.listRuns()).isEmpty();
        assertThat(dir.resolve("runs/r")).doesNotExist();
        assertThat(store.deleteRun("r")).isFalse();
    }

    @Test
    void namesCannotEscapeTheStore(@TempDir Path dir) throws Exception {
        LocalStore store = twoBatches(dir.resolve("store"));
        Path outside = dir.resolve("x");
        Files.createDirectories(outside);
        for (String bad : BAD_NAMES) {
            assertThatThrownBy(() -> store.runDirectory(bad)).as(bad).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.deleteRun(bad)).as(bad).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.listBatches(bad)).as(bad).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.readTensor("r", 0, bad, "activations")).as(bad)
                    .isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.readTensor("r", 0, "layer.0", bad)).as(bad)
                    .isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> new BatchContents().addLongs(bad, "k", new long[] {1}, new long[] {1})).as(bad)
                    .isInstanceOf(StoreException.class);
        }
        assertThat(outside).isDirectory();
        assertThatThrownBy(() -> store.runDirectory("../x")).hasMessageContaining("'../x' is not allowed")
                .hasMessageContaining("separator");
    }

    @Test
    void resumeCountsCompleteBatchesAndDropsLeftovers(@TempDir Path dir) throws Exception {
        LocalStore store = twoBatches(dir);
        Path leftover = dir.resolve("runs/r/.batch_2.tmp/layer.0");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("activations.safetensors"), "half");
        assertThat(store.listBatches("r")).containsExactly(0, 1);
        assertThatThrownBy(() -> store.writer("r").open(false)).isInstanceOf(StoreException.class)
                .hasMessageContaining("already exists");
        assertThat(store.writer("r").open(true)).isEqualTo(2);
        assertThat(dir.resolve("runs/r/.batch_2.tmp")).doesNotExist();
    }

    /** The pid of a process that has ended (a JVM started to print its version). */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor()).isZero();
        return p.pid();
    }

    /** Writes run "r"'s meta.json with {@code status} and {@code writer}. */
    private static void writeMeta(LocalStore store, String status, WriterProcess writer) {
        com.fasterxml.jackson.databind.node.ObjectNode meta = RunWriter.JSON.createObjectNode().put("run_id", "r")
                .put("status", status);
        meta.set("writer", writer.toJson());
        store.writer("r").writeMeta(meta);
    }

    @Test
    void aRunningRunWhoseWriterIsGoneReadsAsInterrupted(@TempDir Path dir) throws Exception {
        LocalStore store = twoBatches(dir);
        WriterProcess me = WriterProcess.current();
        assertThat(me.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(me.isCurrentProcess()).isTrue();
        assertThat(WriterProcess.fromJson(me.toJson())).contains(me);

        writeMeta(store, "running", new WriterProcess(deadPid(), me.startedAt(), me.host()));
        assertThat(store.runMetadata("r").get("status").asText()).isEqualTo("interrupted");
        assertThat(store.runMetadata("r").get("status_reason").asText()).contains("is gone", "resumed");
        // only the reading says so: the file is left to the run's next writer
        assertThat(Files.readString(dir.resolve("runs/r/meta.json"))).contains("\"running\"");

        // the pid runs, but it is another process than the writer (the pid was reused)
        assertThat(me.startedAt()).as("this platform reports process start times").isNotNull();
        writeMeta(store, "running", new WriterProcess(me.pid(), me.startedAt().minusSeconds(3600), me.host()));
        assertThat(store.runMetadata("r").get("status").asText()).isEqualTo("interrupted");

        writeMeta(store, "running", me);
        assertThat(store.runMetadata("r").get("status").asText()).isEqualTo("running");
        assertThat(store.runMetadata("r").has("status_reason")).isFalse();
        // a writer on another host cannot be checked from here
        writeMeta(store, "running", new WriterProcess(deadPid(), me.startedAt(), me.host() + "-elsewhere"));
        assertThat(store.runMetadata("r").get("status").asText()).isEqualTo("running");
        // a run that ended says how
        writeMeta(store, "cancelled", new WriterProcess(deadPid(), me.startedAt(), me.host()));
        assertThat(store.runMetadata("r").get("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void loaderMasksSpecialTokensAndOutliers(@TempDir Path dir) {
        LocalStore store = twoBatches(dir);
        List<float[]> real = rows(StoreDataLoader.builder(store, "r", "layer.0").build());
        assertThat(real).hasSize(10);
        assertThat(real.get(0)).containsExactly(0f, 1f);
        assertThat(rows(StoreDataLoader.builder(store, "r", "layer.0").realTokensOnly(false).build())).hasSize(12);
        List<float[]> plain = rows(StoreDataLoader.builder(store, "r", "layer.0").excludeSpecialTokens(true).build());
        assertThat(plain).hasSize(6);
        assertThat(plain.get(0)).containsExactly(2f, 3f);
        // norms within a batch grow with the position; 1.0 x median drops the upper half
        List<float[]> trimmed = rows(StoreDataLoader.builder(store, "r", "layer.0").outlierFactor(1.0).build());
        assertThat(trimmed.size()).isLessThan(10).isGreaterThan(0);
        assertThat(rows(StoreDataLoader.builder(store, "r", "layer.0").epochs(3).build())).hasSize(30);
        List<float[][]> batches = new java.util.ArrayList<>();
        StoreDataLoader.builder(store, "r", "layer.0").build().batches(4).forEachRemaining(batches::add);
        assertThat(batches).extracting(b -> b.length).containsExactly(4, 4, 2);
        assertThatThrownBy(() -> StoreDataLoader.builder(store, "nope", "layer.0").build())
                .isInstanceOf(StoreException.class).hasMessageContaining("no run 'nope'");
        assertThatThrownBy(() -> StoreDataLoader.builder(store, "r", "../layer.0"))
                .isInstanceOf(StoreException.class);
    }

    private static List<float[]> rows(StoreDataLoader loader) {
        List<float[]> out = new java.util.ArrayList<>();
        loader.forEach(out::add);
        return out;
    }
}
