package io.microw.demo;

import io.microw.lm.LanguageModel;
import io.microw.store.LocalStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A saving run killed with SIGKILL mid-run reads as interrupted, resumes from its last complete batch and ends
 * byte-identical.
 */
class ActivationsKillResumeTest {

    @Test
    void killedRunResumesToTheSameBytesAsAnUninterruptedOne(@TempDir Path tmp) throws Exception {
        Path killed = tmp.resolve("killed");
        Process p = startSaving(killed);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("batch 4")) {
                // wait until four batches are on disk
            }
            assertThat(line).as("the child printed batch 4 before ending").isEqualTo("batch 4");
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        LocalStore store = new LocalStore(killed);
        List<Integer> before = store.listBatches("r");
        assertThat(before.size()).isBetween(4, 14);
        assertThat(store.runMetadata("r").get("status").asText()).as("the killed writer is gone")
                .isEqualTo("interrupted");
        assertThat(store.runMetadata("r").get("status_reason").asText()).contains("process " + p.pid());

        Path whole = tmp.resolve("whole");
        try (LanguageModel lm = BrownGpt2.load()) {
            SaveRunMain.save(lm, killed, "r", true, 0);
            SaveRunMain.save(lm, whole, "r", false, 0);
        }
        assertThat(store.runMetadata("r").get("status").asText()).isEqualTo("complete");
        assertThat(store.runMetadata("r").get("batches").asInt()).isEqualTo(15);
        assertSameBatchFiles(killed.resolve("runs/r"), whole.resolve("runs/r"));
    }

    private static Process startSaving(Path store) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return new ProcessBuilder(java, "-Dai.djl.offline=true", "-cp", cp, SaveRunMain.class.getName(),
                store.toString(), "r", "fresh", "150")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    static void assertSameBatchFiles(Path a, Path b) throws IOException {
        List<String> filesA = batchFiles(a);
        assertThat(filesA).isEqualTo(batchFiles(b)).isNotEmpty();
        for (String f : filesA) {
            assertThat(Files.readAllBytes(a.resolve(f))).as(f).isEqualTo(Files.readAllBytes(b.resolve(f)));
        }
    }

    private static List<String> batchFiles(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(run)) {
            all.filter(Files::isRegularFile).map(p -> run.relativize(p).toString().replace(File.separatorChar, '/'))
                    .filter(s -> !s.equals("meta.json")).sorted().forEach(out::add);
        }
        return out;
    }
}
