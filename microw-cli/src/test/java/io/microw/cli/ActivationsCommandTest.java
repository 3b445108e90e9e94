package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.store.WriterProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ActivationsCommandTest {

    private static Path texts(Path dir) throws Exception {
        Path f = dir.resolve("texts.txt");
        Files.writeString(f, "The jury said it.\n\nA longer text about the city election.\nYes.\nOne more.\nLast.\n");
        return f;
    }

    @Test
    void savesListsAndShowsARun(@TempDir Path dir) throws Exception {
        String store = dir.resolve("store").toString();
        CliRun save = CliRun.of("activations", "save", "--layers", "transformer.h.2,layer_0", "--texts-file",
                texts(dir).toString(), "--store", store, "--run", "cli", "--batch-size", "2", "--dtype", "bfloat16");
        assertThat(save.exitCode()).as(save.err()).isZero();
        assertThat(save.out()).startsWith("saved run cli: 3 batches").contains("transformer.h.2");
        assertThat(save.err()).contains("100%", "3/3 batches", "tok/s");
        assertThat(dir.resolve("store/runs/cli/batch_2/transformer.h.0/activations.safetensors")).isRegularFile();

        CliRun list = CliRun.of("activations", "list", "--store", store);
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out()).contains("RUN", "cli", "complete", "transformer.h.2,transformer.h.0");

        CliRun info = CliRun.of("activations", "info", "cli", "--store", store);
        assertThat(info.exitCode()).as(info.err()).isZero();
        assertThat(info.out()).contains("\"run_id\" : \"cli\"", "3 complete batches",
                "transformer.h.2/activations  BF16 [2, ", "attention_masks/attention_mask  I64 [2, ");

        CliRun again = CliRun.of("activations", "save", "--layers", "transformer.h.2", "--texts-file",
                texts(dir).toString(), "--store", store, "--run", "cli", "--no-progress");
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.err()).contains("already exists", "resume").doesNotContain("\tat ");
    }

    @Test
    void badInputIsAClearError(@TempDir Path dir) throws Exception {
        String store = dir.resolve("store").toString();
        CliRun unknown = CliRun.of("activations", "save", "--layers", "transformer.h.7", "--texts-file",
                texts(dir).toString(), "--store", store);
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("unknown layer 'transformer.h.7'");
        assertThat(dir.resolve("store")).doesNotExist();

        CliRun missing = CliRun.of("activations", "save", "--layers", "0", "--texts-file",
                dir.resolve("nope.txt").toString(), "--store", store);
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("--texts-file " + dir.resolve("nope.txt") + " does not exist");

        CliRun traversal = CliRun.of("activations", "info", "../etc", "--store", store);
        assertThat(traversal.exitCode()).isEqualTo(2);
        assertThat(traversal.err()).contains("run id '../etc' is not allowed");

        CliRun empty = CliRun.of("activations", "list", "--store", store);
        assertThat(empty.exitCode()).isZero();
        assertThat(empty.out()).startsWith("no runs in");

        CliRun dtype = CliRun.of("activations", "save", "--layers", "0", "--texts-file", texts(dir).toString(),
                "--dtype", "int8", "--store", store);
        assertThat(dtype.exitCode()).isEqualTo(1);
        assertThat(dtype.err()).contains("unknown --dtype 'int8'");

        CliRun bare = CliRun.of("activations");
        assertThat(bare.exitCode()).isEqualTo(1);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static CliRun save(Path store, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("activations", "save", "--layers", "transformer.h.1",
                "--store", store.toString(), "--run", "r", "--batch-size", "2", "--no-progress"));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static ObjectNode meta(Path store) throws IOException {
        return (ObjectNode) JSON.readTree(store.resolve("runs/r/meta.json").toFile());
    }

    @Test
    void ctrlCCancelsASaveAndOnlyTheSameDatasetResumesIt(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String file = texts(dir).toString();
        Interrupts.onInstall = Interrupts::requestStop; // as if Ctrl-C came before the first batch
        CliRun cancelled;
        try {
            cancelled = save(store, "--texts-file", file);
        } finally {
            Interrupts.onInstall = null;
        }
        assertThat(cancelled.exitCode()).as(cancelled.err()).isEqualTo(Interrupts.EXIT_INTERRUPTED);
        assertThat(cancelled.err()).contains("stopped by Ctrl-C after 1 of 3 batches", "run 'r' is cancelled",
                "add --resume");
        assertThat(meta(store).get("status").asText()).isEqualTo("cancelled");
        CliRun list = CliRun.of("activations", "list", "--store", store.toString());
        assertThat(list.out()).contains("r ", "cancelled");
        assertThat(meta(store).get("dataset").get("identity").get("source").asText()).isEqualTo("texts.txt");

        CliRun brown = save(store, "--brown", "validation", "--resume");
        assertThat(brown.exitCode()).isEqualTo(2);
        assertThat(brown.err()).contains("cannot resume run 'r': it was saved from file texts.txt (lenient false, "
                + "text column text; first 5 rows sha256 ", "; this save reads brown validation (first 64 rows "
                + "sha256 ", "resume with the same dataset or choose another run name");
        Path other = Files.createDirectories(dir.resolve("other")).resolve("texts.txt");
        Files.writeString(other, "Other texts.\nIn a file of the same name.\nThree.\nFour.\nFive.\n");
        CliRun same = save(store, "--texts-file", other.toString(), "--resume");
        assertThat(same.exitCode()).isEqualTo(2);
        assertThat(same.err()).contains("it was saved from file texts.txt", "this save reads file texts.txt");
        assertThat(new io.microw.store.LocalStore(store).listBatches("r")).hasSizeLessThan(3);

        CliRun resumed = save(store, "--texts-file", file, "--resume");
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.out()).startsWith("saved run r: 3 batches");
        assertThat(meta(store).get("status").asText()).isEqualTo("complete");
    }

    @Test
    void aRunWhoseWriterIsGoneListsAsInterrupted(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        assertThat(save(store, "--texts-file", texts(dir).toString()).exitCode()).isZero();
        ObjectNode meta = meta(store);
        meta.put("status", "running");
        // as if written by a process killed with kill -9: no process has this pid
        WriterProcess me = WriterProcess.current();
        meta.set("writer", new WriterProcess(Integer.MAX_VALUE, me.startedAt(), me.host()).toJson());
        Files.writeString(store.resolve("runs/r/meta.json"), meta.toString());

        CliRun list = CliRun.of("activations", "list", "--store", store.toString());
        assertThat(list.out()).contains("interrupted").doesNotContain("running");
        CliRun listJson = CliRun.of("activations", "list", "--store", store.toString(), "--json");
        assertThat(JSON.readTree(listJson.out()).path("runs").get(0).path("status").asText()).isEqualTo("interrupted");
        CliRun info = CliRun.of("activations", "info", "r", "--store", store.toString(), "--json");
        JsonNode shown = JSON.readTree(info.out()).path("meta");
        assertThat(shown.path("status").asText()).isEqualTo("interrupted");
        assertThat(shown.path("status_reason").asText()).contains("process " + Integer.MAX_VALUE, "is gone");

        // its writer alive (this process), it is running
        meta.set("writer", me.toJson());
        Files.writeString(store.resolve("runs/r/meta.json"), meta.toString());
        assertThat(CliRun.of("activations", "list", "--store", store.toString()).out()).contains("running");
    }

    @Test
    void aBrownGpt2RunResumesUnderAnotherMicrowHomeFromACopiedStore(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("store");
        String file = texts(dir).toString();
        assertThat(save(store, "--texts-file", file).exitCode()).isZero();
        assertThat(meta(store).get("model").get("id").asText()).isEqualTo("brown-gpt2");
        // the store copied to another machine, where the run's last batch was never written
        Path copy = dir.resolve("copied-store");
        try (Stream<Path> all = Files.walk(store)) {
            for (Path p : all.toList()) {
                Files.copy(p, copy.resolve(store.relativize(p).toString()));
            }
        }
        try (Stream<Path> batch = Files.walk(copy.resolve("runs/r/batch_2"))) {
            batch.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        Path home = dir.resolve("other-home");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        ProcessBuilder pb = new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", cp, Main.class.getName(),
                "activations", "save", "--resume", "--layers", "transformer.h.1", "--store", copy.toString(),
                "--run", "r", "--batch-size", "2", "--no-progress", "--texts-file", file).redirectErrorStream(true);
        pb.environment().put("MICROW_HOME", home.toString());
        Process child = pb.start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("saved run r: 3 batches");
        ObjectNode resumed = meta(copy);
        assertThat(resumed.get("status").asText()).isEqualTo("complete");
        assertThat(resumed.get("model").get("id").asText()).isEqualTo("brown-gpt2");
        assertThat(resumed.get("model").get("path").asText()).startsWith(home.toString());
        assertThat(resumed.get("model").get("config_hash")).isEqualTo(meta(store).get("model").get("config_hash"));
    }
}
