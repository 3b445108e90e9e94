package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A smoke test only: a tiny sweep of brown-gpt2, and a stand-in peer script; the real benchmark is run by hand. */
class BenchPatchingCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void tinySweepPrintsCellsPerSecondBesideThePeers() throws Exception {
        Path script = dir.resolve("peer.sh");
        Files.writeString(script, "#!/bin/bash\n[ \"$1\" = patching ] || exit 3\n"
                + "echo '{\"workload\": \"patching_resid_pre\", \"model\": \"brown-gpt2 shape (4L)\", \"seq\": 3, "
                + "\"cells\": 12, \"cells_per_s\": 50.0}'\n");
        CliRun run = CliRun.of("bench", "patching", "--model", "brown-gpt2", "--seq", "3", "--reps", "1", "--warmup",
                "0", "--peer", script.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().filter(l -> l.startsWith("{")).toList();
        assertThat(lines).hasSize(3);   // ours, the peer's, the summary
        JsonNode ours = JSON.readTree(lines.get(0));
        assertThat(ours.path("workload").asText()).isEqualTo("patching_resid_pre");
        assertThat(ours.path("cells").asInt()).isEqualTo(4 * 3);
        double cellsPerS = ours.path("cells_per_s").asDouble();
        assertThat(cellsPerS).isPositive();
        assertThat(ours.path("peer_cells_per_s").asDouble()).isEqualTo(50.0);
        String row = run.out().lines().filter(l -> l.contains("brown-gpt2 (4L") && !l.startsWith("{")).findFirst()
                .orElseThrow();
        assertThat(row).contains("seq 3", " 50.0 ");
        assertThat(row.trim()).endsWith("x");
        double ratio = Double.parseDouble(row.trim().replaceAll(".* ([0-9.]+)x$", "$1"));
        assertThat(ratio).isCloseTo(cellsPerS / 50.0, org.assertj.core.api.Assertions.within(0.02 + cellsPerS / 5000));
    }

    @Test
    void missingPeerAndBadValues() {
        CliRun run = CliRun.of("bench", "patching", "--model", "brown-gpt2", "--seq", "2", "--reps", "1", "--warmup",
                "0", "--peer", dir.resolve("absent.sh").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("PyTorch peer: no script " + dir.resolve("absent.sh"));
        assertThat(run.out()).containsPattern("brown-gpt2 .*seq 2\\s+[0-9.]+\\s+-\\s+-");
        assertThat(run.out().lines().filter(l -> l.startsWith("{"))).hasSize(1).allMatch(l -> !l.contains("peer_"));

        CliRun bad = CliRun.of("bench", "patching", "--seq", "0", "--no-peer");
        assertThat(bad.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(bad.err().strip()).startsWith("microw: error: --seq must be at least 1, got 0").doesNotContain("\n");
    }
}
