package io.microw.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link AtomicFiles}: a target is complete or untouched, and no temporary file or folder is left behind. */
class AtomicFilesTest {

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesANewFileAndItsFolder(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("a/b/out.txt");
        AtomicFiles.writeString(file, "héllo");
        assertThat(Files.readAllBytes(file)).isEqualTo("héllo".getBytes(StandardCharsets.UTF_8));
        assertThat(names(file.getParent())).containsExactly("out.txt");
    }

    @Test
    void replacesAnExistingFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("out.bin");
        Files.write(file, new byte[] {1, 2, 3, 4, 5, 6});
        AtomicFiles.write(file, out -> out.write(new byte[] {9, 8}));
        assertThat(Files.readAllBytes(file)).containsExactly(9, 8);
        assertThat(names(dir)).containsExactly("out.bin");
    }

    @Test
    void aFailureMidWriteKeepsTheOldFileLeavesNoTempAndNamesTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("out.json");
        Files.writeString(file, "old");
        assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
            out.write("half of the new con".getBytes(StandardCharsets.UTF_8));
            throw new IOException("No space left on device");
        })).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("No space left on device");
        assertThat(Files.readString(file)).isEqualTo("old");
        assertThat(names(dir)).containsExactly("out.json");
    }

    @Test
    void aFailureMidWriteOfANewFileLeavesNothing(@TempDir Path dir) {
        Path file = dir.resolve("new.json");
        assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
            out.write(1);
            throw new IOException("disk full");
        })).hasMessageContaining("new.json");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aBodyThatFailsUncheckedKeepsTheOldFileAndLeavesNoTemp(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("out.csv");
        Files.writeString(file, "old");
        assertThatThrownBy(() -> AtomicFiles.write(file, out -> {
            out.write(new byte[100_000]);
            throw new IllegalStateException("a value is not serialisable");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(file)).isEqualTo("old");
        assertThat(names(dir)).containsExactly("out.csv");
    }

    @Test
    void aTargetThatCannotBeReplacedFailsNamingItAndLeavesNoTemp(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("taken");
        Files.createDirectory(target);
        Files.writeString(target.resolve("inside"), "x");
        assertThatThrownBy(() -> AtomicFiles.writeString(target, "new"))
                .isInstanceOf(IOException.class).hasMessageContaining(target.toString());
        assertThat(names(dir)).containsExactly("taken");
    }

    @Test
    void publishesAFolderCompleteAndKeepsOneThatAppearedMeanwhile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("model");
        assertThat(AtomicFiles.publishDirectory(target, tmp -> Files.writeString(tmp.resolve("w"), "first"))).isTrue();
        assertThat(Files.readString(target.resolve("w"))).isEqualTo("first");

        boolean second = AtomicFiles.publishDirectory(target, tmp -> Files.writeString(tmp.resolve("w"), "second"));
        assertThat(second).isFalse();
        assertThat(Files.readString(target.resolve("w"))).isEqualTo("first");
        assertThat(names(dir)).containsExactly("model");
    }

    @Test
    void aFillingThatFailsIsAnErrorEvenWhenTheFolderExists(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("model");
        Files.createDirectory(target);
        assertThatThrownBy(() -> AtomicFiles.publishDirectory(target, tmp -> {
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(names(dir)).containsExactly("model");
    }

    @Test
    void aFolderWhoseFillingFailsLeavesNothing(@TempDir Path dir) {
        Path target = dir.resolve("run/batch_0");
        assertThatThrownBy(() -> AtomicFiles.publishDirectory(target, tmp -> {
            Files.writeString(tmp.resolve("part"), "half");
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(target.getParent()).isEmptyDirectory();
    }
}
