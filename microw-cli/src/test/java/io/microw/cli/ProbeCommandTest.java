package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.demo.BrownGpt2;
import io.microw.demo.BrownProbeData;
import io.microw.demo.BrownProbeLabel;
import io.microw.eval.LinearProbe;
import io.microw.eval.ProbeReport;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code microw probe} prints and writes exactly what the API's probes measure, and refuses bad input in one line. */
class ProbeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> LAYERS = List.of("blocks.0.hook_resid_pre", "blocks.3.hook_resid_post");

    @TempDir
    Path dir;

    @Test
    void jsonAndTextEqualTheApisProbesPerLayer() throws Exception {
        Map<String, LinearProbe> expected;
        int examples;
        try (LanguageModel lm = BrownGpt2.load()) {
            BrownProbeData data = BrownProbeData.collect(lm, BrownProbeLabel.parse("pos:nn"), 60, LAYERS);
            examples = data.labels().length;
            expected = data.probes(ProbeCommand.options(5, 1e-3));
        }
        CliRun run = CliRun.of("probe", "--label", "pos:nn", "--layer", String.join(",", LAYERS), "--sentences", "60",
                "--epochs", "5", "--l2", "1e-3", "--out-dir", dir.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode doc = JSON.readTree(run.out());
        assertThat(doc.path("examples").asInt()).isEqualTo(examples);
        assertThat(doc.path("classes").toString()).isEqualTo("[\"not nn\",\"nn\"]");
        JsonNode rows = doc.path("layers");
        assertThat(rows.size()).isEqualTo(2);
        int i = 0;
        String best = null;
        double bestAccuracy = -1;
        for (Map.Entry<String, LinearProbe> e : expected.entrySet()) {
            JsonNode row = rows.get(i++);
            ProbeReport r = e.getValue().report();
            assertThat(row.path("layer").asText()).isEqualTo(e.getKey());
            assertThat(row.path("train_accuracy").asDouble()).isEqualTo(r.trainAccuracy());
            assertThat(row.path("validation_accuracy").asDouble()).isEqualTo(r.validationAccuracy());
            assertThat(row.path("validation_macro_f1").asDouble()).isEqualTo(r.validationMacroF1());
            if (r.validationAccuracy() > bestAccuracy) {
                bestAccuracy = r.validationAccuracy();
                best = e.getKey();
            }
        }
        assertThat(doc.path("best").path("layer").asText()).isEqualTo(best);
        assertThat(JSON.readTree(dir.resolve("probe.json").toFile()).path("layers")).isEqualTo(rows);
        PatchCommandTest.assertValidPng(dir.resolve("probe.png"));

        CliRun text = CliRun.of("probe", "--label", "pos:nn", "--layer", String.join(",", LAYERS), "--sentences",
                "60", "--epochs", "5", "--l2", "1e-3", "--out-dir", dir.toString());
        assertThat(text.exitCode()).as(text.err()).isZero();
        LinearProbe last = expected.get(expected.keySet().stream().reduce((a, b) -> b).orElseThrow());
        assertThat(text.out()).containsPattern("(?m)^1\\s+transformer\\.h\\.3\\.hook_resid_post\\s+"
                + String.format(java.util.Locale.ROOT, "%.3f\\s+%.3f\\s+%.3f$", last.report().trainAccuracy(),
                last.report().validationAccuracy(), last.report().validationMacroF1()).replace(".", "\\."));
        assertThat(text.out()).contains("wrote " + dir.resolve("probe.png"));
    }

    @Test
    void badLabelsLayersAndCountsAreOneLineUsageErrors() {
        String out = dir.toString();
        PatchCommandTest.assertUsage(CliRun.of("probe", "--label", "pos:xyz", "--out-dir", out),
                "--label: 'xyz' in label 'pos:xyz' is not a Brown tag");
        PatchCommandTest.assertUsage(CliRun.of("probe", "--label", "colour", "--out-dir", out),
                "--label: label 'colour' is not pos:TAG");
        PatchCommandTest.assertUsage(CliRun.of("probe", "--label", "pos:nn", "--layer", "blocks.*.hook_nothing",
                "--sentences", "2", "--out-dir", out), "blocks.*.hook_nothing");
        PatchCommandTest.assertUsage(CliRun.of("probe", "--label", "genre", "--sentences", "0", "--out-dir", out),
                "--sentences must be 1..10000, got 0");
        PatchCommandTest.assertUsage(CliRun.of("probe", "--label", "pos:nn", "--sentences", "2147483647", "--out-dir",
                out), "--sentences must be 1..10000, got 2147483647");
        PatchCommandTest.assertUsage(CliRun.of("probe", "--label", "pos:nn", "--l2", "-1", "--out-dir", out),
                "--l2 must be 0 or more, got -1.0");
        PatchCommandTest.assertUsage(CliRun.of("probe", "--label", "genre", "--sentences", "1", "--out-dir", out),
                "cannot train on 1 examples from 1 sentences");
    }
}
