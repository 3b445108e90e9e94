package io.microw.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Numeric options that size what a command allocates are bounded, so a huge value is a one-line usage error rather
 * than an OutOfMemoryError; a --texts-file that does not exist is named as missing.
 */
class OptionBoundsTest {

    /** The usage error, which is one line: "microw: error: WHY (see 'microw ... --help')"; returns WHY. */
    static String usageError(CliRun r) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
        String line = r.err().strip();
        assertThat(line).startsWith("microw: error: ").matches(".* \\(see 'microw [a-z ]+ --help'\\)");
        return line.substring("microw: error: ".length(), line.lastIndexOf(" (see '"));
    }

    static void assertUsageError(CliRun r, String message) {
        assertThat(usageError(r)).isEqualTo(message);
    }

    @Test
    void theTopTokensAreBoundedByTheVocabulary() {
        String huge = usageError(CliRun.of("model", "run", "--prompt", "The jury said", "--top", "2147483647"));
        assertThat(huge).matches("--top must be from 1 to \\d+ \\(the vocabulary size\\), got 2147483647");
        String vocab = huge.replaceAll(".*from 1 to (\\d+) .*", "$1");
        assertThat(usageError(CliRun.of("model", "run", "--prompt", "The jury said", "--top", "0")))
                .isEqualTo("--top must be from 1 to " + vocab + " (the vocabulary size), got 0");
        CliRun all = CliRun.of("model", "run", "--prompt", "The jury said", "--top", vocab, "--json");
        assertThat(all.exitCode()).as(all.err()).isZero();
    }

    @Test
    void countsThatSizeArraysAreBounded() {
        assertUsageError(CliRun.of("model", "generate", "--prompt", "x", "--max-new-tokens", "2147483647"),
                "--max-new-tokens must be at most 1000000, got 2147483647");
        assertUsageError(CliRun.of("bench", "forward", "--reps", "2147483647"), "--reps must be 1..100000, got 2147483647");
        assertUsageError(CliRun.of("bench", "forward", "--batch", "2147483647"),
                "--batch must be 1..65536, got 2147483647");
        assertUsageError(CliRun.of("bench", "serve", "--requests", "2147483647"),
                "--requests must be 1..1000000, got 2147483647");
    }

    @Test
    void aTextsFileThatDoesNotExistIsNamed(@TempDir Path dir) {
        Path none = dir.resolve("nonexistent");
        String[][] commands = {
            {"sae", "train", "--texts-file", none.toString(), "--layer", "transformer.h.2", "--out",
                dir.resolve("sae").toString(), "--d-sae", "16", "--k", "2"},
            {"activations", "save", "--layers", "0", "--texts-file", none.toString(), "--store",
                dir.resolve("store").toString()}};
        for (String[] command : commands) {
            CliRun r = CliRun.of(command);
            assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
            assertThat(r.err().strip()).isEqualTo("microw: error: --texts-file " + none + " does not exist");
        }
    }
}
