package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A smoke test only: a tiny gradient call on brown-gpt2 and a stand-in peer script; the real benchmark runs by hand. */
class BenchGradientsCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void tinyCallsPrintTokensPerSecondBesideThePeers() throws Exception {
        Path script = dir.resolve("peer.sh");
        Files.writeString(script, "#!/bin/bash\n[ \"$1\" = gradients ] || exit 3\n"
                + "echo '{\"workload\": \"gradients_resid_pre\", \"model\": \"brown-gpt2 shape (4L)\", \"batch\": 2, "
                + "\"seq\": 4, \"tokens_per_s\": 50.0}'\n");
        CliRun run = CliRun.of("bench", "gradients", "--model", "brown-gpt2", "--batch", "2", "--seq", "4", "--reps",
                "1", "--warmup", "0", "--peer", script.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().filter(l -> l.startsWith("{")).toList();
        assertThat(lines).hasSize(3);   // ours, the peer's, the summary
        JsonNode ours = JSON.readTree(lines.get(0));
        assertThat(ours.path("workload").asText()).isEqualTo("gradients_resid_pre");
        assertThat(ours.path("batch").asInt()).isEqualTo(2);
        double tokensPerS = ours.path("tokens_per_s").asDouble();
        assertThat(tokensPerS).isPositive();
        assertThat(ours.path("peer_tokens_per_s").asDouble()).isEqualTo(50.0);
        assertThat(ours.path("ratio").asDouble()).isCloseTo(tokensPerS / 50.0, within(0.0005));
        String row = run.out().lines().filter(l -> l.contains("brown-gpt2 (4L") && !l.startsWith("{")).findFirst()
                .orElseThrow();
        assertThat(row).contains("batch 2 seq 4", " 50.0 ");
        double ratio = Double.parseDouble(row.trim().replaceAll(".* ([0-9.]+)x$", "$1"));
        assertThat(ratio).isCloseTo(tokensPerS / 50.0, within(0.02 + tokensPerS / 5000));
    }

    @Test
    void badValuesAreUsageErrors() {
        CliRun bad = CliRun.of("bench", "gradients", "--batch", "0", "--no-peer");
        assertThat(bad.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(bad.err().strip()).startsWith("microw: error: --batch must be 1..65536, got 0");
    }
}
