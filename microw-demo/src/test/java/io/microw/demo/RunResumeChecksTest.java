package io.microw.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.lm.SaveStoppedException;
import io.microw.store.LocalStore;
import io.microw.store.RunStatus;
import io.microw.store.StoreException;
import io.microw.store.WriterProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a resume of a saved run checks (the model by name and config, not by folder; the dataset; a live writer)
 * and how a stopped save is recorded.
 */
class RunResumeChecksTest {

    private static final List<String> TEXTS = List.of("The jury said it.", "A longer sentence about the city election",
            "Yes.", "It was conducted well, the jury said again.", "Short one", "And the last of the six texts");
    private static final List<String> LAYERS = List.of("transformer.h.0");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static SaveOptions options(Path store) {
        return SaveOptions.into(store).withRunName("r").withBatchSize(1);
    }

    /** Removes the run's last batch and marks it interrupted, as a run killed before its end would be. */
    private static void cutLastBatch(Path store) throws IOException {
        Path run = store.resolve("runs/r");
        Path last = run.resolve("batch_" + (TEXTS.size() - 1));
        try (Stream<Path> files = Files.walk(last)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        ObjectNode meta = (ObjectNode) JSON.readTree(run.resolve("meta.json").toFile());
        meta.put("status", "interrupted");
        Files.writeString(run.resolve("meta.json"), meta.toString());
    }

    private static Path copyModel(Path to, boolean changeConfig) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(BrownGpt2.directory())) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        if (changeConfig) {
            ObjectNode config = (ObjectNode) JSON.readTree(to.resolve("config.json").toFile());
            config.put("note", "retrained");
            Files.writeString(to.resolve("config.json"), config.toString());
        }
        return to;
    }

    @Test
    void aStoppedSaveRecordsTheStatusItWasStoppedWithAndResumes(@TempDir Path dir) {
        SaveOptions stopAfterTwo = options(dir).withProgress(p -> {
            if (p.batchesDone() == 2) {
                throw new SaveStoppedException(RunStatus.CANCELLED, "cancelled by the test");
            }
        });
        assertThatThrownBy(() -> lm.activations().saveActivations(TEXTS, LAYERS, stopAfterTwo))
                .isInstanceOf(SaveStoppedException.class).hasMessage("cancelled by the test");
        LocalStore store = new LocalStore(dir);
        ObjectNode meta = store.runMetadata("r");
        assertThat(meta.get("status").asText()).isEqualTo("cancelled");
        assertThat(meta.get("batches").asInt()).isEqualTo(2);
        assertThat(store.listBatches("r")).startsWith(0, 1);
        assertThat(meta.get("writer").get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());

        lm.activations().saveActivations(TEXTS, LAYERS, options(dir).withResume(true));
        assertThat(store.runMetadata("r").get("status").asText()).isEqualTo("complete");
        assertThat(store.listBatches("r")).hasSize(TEXTS.size());
        assertThatThrownBy(() -> new SaveStoppedException(RunStatus.FAILED, "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not FAILED");
    }

    @Test
    void resumeRefusesOtherTexts(@TempDir Path dir) throws IOException {
        lm.activations().saveActivations(TEXTS, LAYERS, options(dir));
        cutLastBatch(dir);
        List<String> others = TEXTS.stream().map(t -> t + " (changed)").toList();
        assertThatThrownBy(() -> lm.activations().saveActivations(others, LAYERS, options(dir).withResume(true)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot resume run 'r': it was saved from texts inline (first 6 rows sha256 ")
                .hasMessageContaining("; this save reads texts inline (first 6 rows sha256 ")
                .hasMessageContaining("resume with the same dataset or choose another run name");
        assertThat(new LocalStore(dir).listBatches("r")).hasSize(TEXTS.size() - 1);

        lm.activations().saveActivations(TEXTS, LAYERS, options(dir).withResume(true));
        ObjectNode meta = new LocalStore(dir).runMetadata("r");
        assertThat(meta.get("status").asText()).isEqualTo("complete");
        assertThat(meta.get("dataset").get("identity").get("kind").asText()).isEqualTo("texts");
    }

    @Test
    void theModelIsKnownByNameAndConfigNotByFolder(@TempDir Path dir) throws IOException {
        Path store = dir.resolve("store");
        try (LanguageModel here = LanguageModel.load(copyModel(dir.resolve("home-a/models/brown-copy"), false))) {
            here.activations().saveActivations(TEXTS, LAYERS, options(store));
        }
        ObjectNode model = new LocalStore(store).runMetadata("r").get("model").deepCopy();
        assertThat(model.get("id").asText()).isEqualTo("brown-copy");
        assertThat(model.get("config_hash").asText()).startsWith("sha256:");
        cutLastBatch(store);
        // the store and the model moved: another machine, another MICROW_HOME
        Path moved = dir.resolve("moved-store");
        Files.move(store, moved);
        try (LanguageModel retrained = LanguageModel.load(copyModel(dir.resolve("home-c/brown-copy"), true))) {
            assertThatThrownBy(() -> retrained.activations().saveActivations(TEXTS, LAYERS,
                    options(moved).withResume(true)))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("it was saved with model brown-copy (config " + model.get("config_hash")
                            .asText().substring(0, 19))
                    .hasMessageContaining("; this save uses model brown-copy (config sha256:")
                    .hasMessageContaining("resume with the same model");
        }
        try (LanguageModel there = LanguageModel.load(copyModel(dir.resolve("home-b/models/brown-copy"), false))) {
            assertThatThrownBy(() -> there.activations().saveActivations(TEXTS, LAYERS,
                    options(moved).withResume(true).withModelName("brown-gpt2")))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("saved with model brown-copy").hasMessageContaining("uses model brown-gpt2");
            there.activations().saveActivations(TEXTS, LAYERS, options(moved).withResume(true));
        }
        ObjectNode meta = new LocalStore(moved).runMetadata("r");
        assertThat(meta.get("status").asText()).isEqualTo("complete");
        assertThat(meta.get("batches").asInt()).isEqualTo(TEXTS.size());
        assertThat(meta.get("model").get("path").asText()).contains("home-b");
    }

    @Test
    void aRunOfFormatOneResumesByItsConfigHash(@TempDir Path dir) throws IOException {
        lm.activations().saveActivations(TEXTS, LAYERS, options(dir));
        cutLastBatch(dir);
        Path file = dir.resolve("runs/r/meta.json");
        ObjectNode meta = (ObjectNode) JSON.readTree(file.toFile());
        meta.put("format", "microw-activations/1");
        ((ObjectNode) meta.get("model")).put("id", "/home/someone/.cache/microw/models/brown-gpt2-old").remove("path");
        ((ObjectNode) meta.get("dataset")).remove("identity");
        meta.remove("writer");
        Files.writeString(file, meta.toString());

        lm.activations().saveActivations(TEXTS, LAYERS, options(dir).withResume(true));
        ObjectNode resumed = new LocalStore(dir).runMetadata("r");
        assertThat(resumed.get("status").asText()).isEqualTo("complete");
        assertThat(resumed.get("format").asText()).isEqualTo("microw-activations/2");
        assertThat(resumed.get("dataset").has("identity")).isTrue();
    }

    @Test
    void aRunAnotherLiveProcessOnThisHostWritesIsNotResumed(@TempDir Path dir) throws IOException {
        lm.activations().saveActivations(TEXTS, LAYERS, options(dir));
        cutLastBatch(dir);
        ProcessHandle other = ProcessHandle.current().parent().orElseThrow();
        Path file = dir.resolve("runs/r/meta.json");
        ObjectNode meta = (ObjectNode) JSON.readTree(file.toFile());
        meta.put("status", "running");
        meta.set("writer", new WriterProcess(other.pid(), other.info().startInstant().orElse(null),
                WriterProcess.current().host()).toJson());
        Files.writeString(file, meta.toString());
        assertThat(new LocalStore(dir).runMetadata("r").get("status").asText()).isEqualTo("running");

        assertThatThrownBy(() -> lm.activations().saveActivations(TEXTS, LAYERS, options(dir).withResume(true)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("cannot resume run 'r': process " + other.pid() + " on host ")
                .hasMessageContaining("is writing it now");
        assertThat(new LocalStore(dir).listBatches("r")).hasSize(TEXTS.size() - 1);

        // a store copied from another machine, where the run's writer was killed: it cannot be checked, and resumes
        meta.set("writer", new WriterProcess(other.pid(), other.info().startInstant().orElse(null),
                WriterProcess.current().host() + "-elsewhere").toJson());
        Files.writeString(file, meta.toString());
        assertThat(new LocalStore(dir).runMetadata("r").get("status").asText()).isEqualTo("running");
        lm.activations().saveActivations(TEXTS, LAYERS, options(dir).withResume(true));
        assertThat(new LocalStore(dir).runMetadata("r").get("status").asText()).isEqualTo("complete");
    }
}
