package io.microw.demo;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.hooks.LayerActivationDetector;
import io.microw.io.DType;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.lm.SaveProgress;
import io.microw.lm.UnknownLayerException;
import io.microw.store.LocalStore;
import io.microw.store.StoreDataLoader;
import io.microw.store.StoreException;
import io.microw.store.StoredTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Saving activations of the demo model and reading them back. */
class ActivationsSaveTest {

    private static final List<String> TEXTS = List.of("The jury said it.", "A much longer sentence about the city "
            + "election and the grand jury that praised it", "Yes.", "It was conducted well, the jury said again.",
            "Short one", "And the last of the six texts in this little corpus");

    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    /** The layer's output from a direct forward with a LayerActivationDetector, batch by batch. */
    private static List<float[]> direct(String layer, int batchSize) {
        LayerActivationDetector d = new LayerActivationDetector(layer);
        lm.layers().registerHook(layer, d);
        try {
            List<float[]> out = new ArrayList<>();
            for (int i = 0; i < TEXTS.size(); i += batchSize) {
                lm.inference().executeInference(TEXTS.subList(i, Math.min(TEXTS.size(), i + batchSize))).close();
                out.add(d.getCaptured().toFloatArray());
            }
            return out;
        } finally {
            lm.layers().unregisterHook(d.id());
            d.close();
        }
    }

    @Test
    void savedRunReadsBackAsTheDirectForward(@TempDir Path dir) {
        List<SaveProgress> progress = new CopyOnWriteArrayList<>();
        String run = lm.activations().saveActivations(TEXTS, List.of("transformer.h.1"),
                SaveOptions.into(dir).withRunName("rt").withBatchSize(4).withProgress(progress::add));
        assertThat(run).isEqualTo("rt");
        LocalStore store = new LocalStore(dir);
        assertThat(store.listRuns()).containsExactly("rt");
        assertThat(store.listBatches("rt")).containsExactly(0, 1);
        assertThat(store.batchLayers("rt", 0))
                .containsExactly("attention_masks", "input_ids", "special_tokens_mask", "transformer.h.1");
        assertThat(dir.resolve("runs/rt/batch_0/transformer.h.1/activations.safetensors")).isRegularFile();
        assertThat(dir.resolve("runs/rt/batch_1/attention_masks/attention_mask.safetensors")).isRegularFile();
        assertThat(dir.resolve("runs/rt/batch_0/metadata.json")).isRegularFile();
        List<float[]> expected = direct("transformer.h.1", 4);
        for (int b = 0; b < 2; b++) {
            StoredTensor t = store.readTensor("rt", b, "transformer.h.1", "activations");
            assertThat(t.dtype()).isEqualTo(DType.F32);
            assertThat(t.shape()[0]).isEqualTo(b == 0 ? 4 : 2);
            assertThat(t.shape()[2]).isEqualTo(256);
            assertThat(t.floats()).containsExactly(expected.get(b));
        }
        ObjectNode meta = store.runMetadata("rt");
        assertThat(meta.get("status").asText()).isEqualTo("complete");
        assertThat(meta.get("layers").toString()).isEqualTo("[\"transformer.h.1\"]");
        assertThat(meta.get("options").get("stop_after_layer").asText()).isEqualTo("transformer.h.1");
        assertThat(meta.get("model").get("config_hash").asText()).startsWith("sha256:");
        assertThat(meta.get("dataset").get("length").asInt()).isEqualTo(6);
        assertThat(meta.get("real_tokens").asLong()).isPositive().isLessThan(meta.get("tokens").asLong());
        assertThat(meta.has("microw_version")).isTrue();
        assertThat(meta.get("timings").has("seconds")).isTrue();
        assertThat(progress).hasSize(2);
        assertThat(progress.get(1).batchesDone()).isEqualTo(2);
        assertThat(progress.get(1).batchesTotal()).isEqualTo(2);
        assertThat(progress.get(1).tokens()).isEqualTo(meta.get("real_tokens").asLong());
        assertThat(progress.get(1).eta()).isPresent();
    }

    @Test
    void loaderYieldsOnlyRealTokens(@TempDir Path dir) {
        lm.activations().saveActivations(TEXTS, List.of("transformer.h.0"),
                SaveOptions.into(dir).withRunName("pad").withBatchSize(3));
        LocalStore store = new LocalStore(dir);
        long real = store.runMetadata("pad").get("real_tokens").asLong();
        List<float[]> rows = new ArrayList<>();
        StoreDataLoader.builder(store, "pad", "transformer.h.0").build().forEach(rows::add);
        assertThat(rows).hasSize((int) real).allSatisfy(r -> assertThat(r).hasSize(256));
        // the first real row is the first token of the first text
        float[] first = store.readTensor("pad", 0, "transformer.h.0", "activations").floats();
        assertThat(rows.get(0)).containsExactly(java.util.Arrays.copyOf(first, 256));
        List<float[]> all = new ArrayList<>();
        StoreDataLoader.builder(store, "pad", "transformer.h.0").realTokensOnly(false).build().forEach(all::add);
        assertThat(all.size()).isGreaterThan(rows.size());
        List<float[]> mixed = new ArrayList<>();
        StoreDataLoader.builder(store, "pad", "transformer.h.0").shuffleBufferRows(16).seed(3).epochs(2).build()
                .forEach(mixed::add);
        assertThat(mixed).hasSize(2 * rows.size());
        assertThat(mixed.get(0)).isNotEqualTo(rows.get(0));
        List<float[]> again = new ArrayList<>();
        StoreDataLoader.builder(store, "pad", "transformer.h.0").shuffleBufferRows(16).seed(3).epochs(2).build()
                .forEach(again::add);
        for (int i = 0; i < mixed.size(); i++) {
            assertThat(again.get(i)).isEqualTo(mixed.get(i));
        }
    }

    @Test
    void layersOutOfModelOrderStillStopAfterTheDeepest(@TempDir Path dir) {
        LocalStore store = new LocalStore(dir);
        lm.activations().saveActivations(TEXTS, List.of("transformer.h.2", "layer_0", "transformer.h.1.mlp"),
                SaveOptions.into(dir).withRunName("order").withBatchSize(6));
        assertThat(store.runMetadata("order").get("options").get("stop_after_layer").asText())
                .isEqualTo("transformer.h.2");
        assertThat(store.batchLayers("order", 0)).contains("transformer.h.0", "transformer.h.1.mlp", "transformer.h.2");
        // a block and its own sublayer: the block ends last, although its name comes first
        lm.activations().saveActivations(TEXTS, List.of("transformer.h.1.mlp", "transformer.h.1"),
                SaveOptions.into(dir).withRunName("nested").withBatchSize(6));
        assertThat(store.runMetadata("nested").get("options").get("stop_after_layer").asText())
                .isEqualTo("transformer.h.1");
        float[] h1 = store.readTensor("nested", 0, "transformer.h.1", "activations").floats();
        assertThat(h1).containsExactly(direct("transformer.h.1", 6).get(0));
    }

    @Test
    void unknownLayerFailsBeforeAnythingIsWritten(@TempDir Path dir) {
        Path storeDir = dir.resolve("store");
        assertThatThrownBy(() -> lm.activations().saveActivations(TEXTS, List.of("transformer.h.0", "transformer.h.9"),
                SaveOptions.into(storeDir).withRunName("x")))
                .isInstanceOf(UnknownLayerException.class).hasMessageContaining("transformer.h.9");
        assertThat(storeDir).doesNotExist();
        assertThat(lm.layers().allHooks()).isEmpty();
    }

    @Test
    void existingRunWithoutResumeIsAnError(@TempDir Path dir) {
        SaveOptions options = SaveOptions.into(dir).withRunName("twice").withBatchSize(6);
        lm.activations().saveActivations(TEXTS, List.of("transformer.h.0"), options);
        assertThatThrownBy(() -> lm.activations().saveActivations(TEXTS, List.of("transformer.h.0"), options))
                .isInstanceOf(StoreException.class).hasMessageContaining("'twice' already exists")
                .hasMessageContaining("resume");
        assertThatThrownBy(() -> lm.activations().saveActivations(TEXTS, List.of("transformer.h.1"),
                options.withResume(true)))
                .isInstanceOf(StoreException.class).hasMessageContaining("cannot resume");
        assertThat(lm.layers().allHooks()).isEmpty();
    }

    @Test
    void badRunIdsAreRefused(@TempDir Path dir) {
        for (String id : List.of("../x", "/abs", "a/b", "a\\b", "..", ".hidden")) {
            assertThatThrownBy(() -> lm.activations().saveActivations(TEXTS, List.of("transformer.h.0"),
                    SaveOptions.into(dir.resolve("s")).withRunName(id)))
                    .as(id).isInstanceOf(StoreException.class).hasMessageContaining("run id");
        }
        assertThat(dir.resolve("s")).doesNotExist();
    }

    @Test
    void halfFloatsAndDetectorData(@TempDir Path dir) {
        LayerActivationDetector mine = new LayerActivationDetector("transformer.h.0.mlp");
        lm.layers().registerHook("transformer.h.0.mlp", mine);
        try {
            lm.activations().saveActivations(TEXTS, List.of("transformer.h.1"),
                    SaveOptions.into(dir).withRunName("f16").withBatchSize(6).withDtype(DType.F16));
        } finally {
            lm.layers().unregisterHook(mine.id());
        }
        LocalStore store = new LocalStore(dir);
        StoredTensor t = store.readTensor("f16", 0, "transformer.h.1", "activations");
        assertThat(t.dtype()).isEqualTo(DType.F16);
        float[] exact = direct("transformer.h.1", 6).get(0);
        for (int i = 0; i < exact.length; i += 97) {
            assertThat(t.floats()[i]).isCloseTo(exact[i], within(Math.abs(exact[i]) * 2e-3f + 1e-3f));
        }
        assertThat(store.batchKeys("f16", 0, "transformer.h.0.mlp")).containsExactly(mine.id());
        NDArray kept = mine.getCaptured();
        assertThat(store.readTensor("f16", 0, "transformer.h.0.mlp", mine.id()).shape())
                .isEqualTo(kept.getShape().getShape());
        mine.close();
    }

    @Test
    void aFailedWriteLeavesCompleteBatchesAndCanBeResumed(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("runs/bad/batch_2"));
        Files.writeString(dir.resolve("runs/bad/batch_2/blocker"), "x");
        SaveOptions options = SaveOptions.into(dir).withRunName("bad").withBatchSize(1).withResume(true);
        assertThatThrownBy(() -> lm.activations().saveActivations(TEXTS, List.of("transformer.h.0"), options))
                .isInstanceOf(StoreException.class).hasMessageContaining("cannot write batch 2");
        LocalStore store = new LocalStore(dir);
        assertThat(store.listBatches("bad")).containsExactly(0, 1, 2);
        assertThat(store.runMetadata("bad").get("status").asText()).isEqualTo("failed");
        assertThat(dir.resolve("runs/bad/.batch_2.tmp")).doesNotExist();

        Path notADir = dir.resolve("file");
        Files.writeString(notADir, "x");
        assertThatThrownBy(() -> lm.activations().saveActivations(TEXTS, List.of("transformer.h.0"),
                SaveOptions.into(notADir).withRunName("r")))
                .isInstanceOf(StoreException.class).hasMessageContaining("cannot create run directory");
    }
}
