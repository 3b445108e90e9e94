package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ActivationsDeleteTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String saveRun(Path dir, String run) throws Exception {
        Path texts = dir.resolve("texts.txt");
        Files.writeString(texts, "The jury said it.\nA text about the city.\nYes.\n");
        String store = dir.resolve("store").toString();
        CliRun save = CliRun.of("activations", "save", "--layers", "layer_1", "--texts-file", texts.toString(),
                "--store", store, "--run", run, "--batch-size", "2", "--no-progress");
        assertThat(save.exitCode()).as(save.err()).isZero();
        return store;
    }

    @Test
    void listAndInfoHaveJson(@TempDir Path dir) throws Exception {
        String store = saveRun(dir, "r1");
        CliRun list = CliRun.of("activations", "list", "--store", store, "--json");
        assertThat(list.exitCode()).as(list.err()).isZero();
        JsonNode l = JSON.readTree(list.out());
        assertThat(l.path("runs")).hasSize(1);
        JsonNode r = l.path("runs").get(0);
        assertThat(r.path("run").asText()).isEqualTo("r1");
        assertThat(r.path("status").asText()).isEqualTo("complete");
        assertThat(r.path("batches").asInt()).isEqualTo(2);
        assertThat(r.path("real_tokens").asLong()).isPositive();
        assertThat(r.path("layers").get(0).asText()).isEqualTo("transformer.h.1");

        CliRun info = CliRun.of("activations", "info", "r1", "--store", store, "--json");
        assertThat(info.exitCode()).as(info.err()).isZero();
        JsonNode i = JSON.readTree(info.out());
        assertThat(i.path("meta").path("run_id").asText()).isEqualTo("r1");
        assertThat(i.path("batches")).hasSize(2);
        assertThat(i.path("first_batch").toString()).contains("\"layer\":\"transformer.h.1\"", "\"key\":\"activations\"");

        CliRun empty = CliRun.of("activations", "list", "--store", dir.resolve("none").toString(), "--json");
        assertThat(JSON.readTree(empty.out()).path("runs")).isEmpty();
    }

    @Test
    void deleteNeedsYes(@TempDir Path dir) throws Exception {
        String store = saveRun(dir, "r2");
        Path runDir = dir.resolve("store/runs/r2");

        CliRun refused = CliRun.of("activations", "delete", "r2", "--store", store);
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).contains("would delete run r2 (2 complete batches", "add --yes");
        assertThat(runDir).isDirectory();

        CliRun deleted = CliRun.of("activations", "delete", "r2", "--store", store, "--yes", "--json");
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        JsonNode n = JSON.readTree(deleted.out());
        assertThat(n.path("deleted").asBoolean()).isTrue();
        assertThat(n.path("bytes").asLong()).isPositive();
        assertThat(runDir).doesNotExist();
        assertThat(CliRun.of("activations", "list", "--store", store).out()).startsWith("no runs in");

        CliRun again = CliRun.of("activations", "delete", "r2", "--store", store, "--yes");
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.err()).contains("no run 'r2'");

        CliRun traversal = CliRun.of("activations", "delete", "../x", "--store", store, "--yes");
        assertThat(traversal.exitCode()).isEqualTo(2);
        assertThat(traversal.err()).contains("not allowed");

        CliRun missing = CliRun.of("activations", "delete", "--store", store);
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("RUN");
    }

    @Test
    void deleteSaysWhatItDeleted(@TempDir Path dir) throws Exception {
        String store = saveRun(dir, "r3");
        CliRun deleted = CliRun.of("activations", "delete", "r3", "--store", store, "--yes");
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).startsWith("deleted run r3 (2 complete batches, ").contains("KiB");
        assertThat(CliRun.of("activations", "delete", "--help").out()).contains("Example", "--yes");
        assertThat(CliRun.of("activations", "--help").out()).contains("delete", "--resume");
    }
}
