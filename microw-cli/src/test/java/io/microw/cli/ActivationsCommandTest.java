package io.microw.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

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
}
