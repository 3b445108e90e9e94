package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The pairing of microw's benchmarks with a stand-in peer script: fields, ratios, the median over pairs. */
class PeerPairingTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void threePairsGiveThreePairedLinesAndTheMedianRatio() throws Exception {
        // The stand-in answers 10, 40, then 20 new tokens/s, one number per call, and counts its calls.
        Path calls = dir.resolve("calls");
        Path script = dir.resolve("peer.sh");
        Files.writeString(script, "#!/bin/bash\n[ \"$*\" = generate ] || exit 3\n"
                + "echo x >> '" + calls + "'\nn=$(wc -l < '" + calls + "')\nspeeds=(0 10.0 40.0 20.0)\n"
                + "echo '{\"workload\": \"generate_greedy_kv\", \"model\": \"brown-gpt2 shape (4L)\", \"batch\": 1, "
                + "\"prompt\": 2, \"new_tokens\": 2, \"new_tokens_per_s\": '${speeds[$n]}', \"torch\": \"2.13.0+cpu\"}'\n");
        CliRun run = CliRun.of("bench", "generate", "--model", "brown-gpt2", "--batch", "1", "--prompt", "2",
                "--new-tokens", "2", "--warmup", "0", "--warmup-seconds", "0", "--pairs", "3", "--peer", script.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.readAllLines(calls)).hasSize(3);
        List<JsonNode> lines = new ArrayList<>();
        for (String l : run.out().lines().filter(l -> l.startsWith("{")).toList()) {
            lines.add(JSON.readTree(l));
        }
        List<JsonNode> ours = lines.stream().filter(n -> n.has("generated_tokens")).toList();
        assertThat(ours).hasSize(3);
        double[] peerSpeeds = {10.0, 40.0, 20.0};
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode line = ours.get(i);
            assertThat(line.get("pair").asInt()).isEqualTo(i + 1);
            assertThat(line.get("peer_torch").asText()).isEqualTo("2.13.0+cpu");
            assertThat(line.get("peer_new_tokens_per_s").asDouble()).isEqualTo(peerSpeeds[i]);
            double mine = line.get("new_tokens_per_s").asDouble();
            assertThat(mine).isPositive();
            assertThat(line.get("ratio").asDouble()).isCloseTo(mine / peerSpeeds[i], within(0.0005));
            ratios.add(mine / peerSpeeds[i]);
        }
        JsonNode summary = lines.get(lines.size() - 1);
        assertThat(summary.get("summary").asBoolean()).isTrue();
        assertThat(summary.get("workload").asText()).isEqualTo("generate_greedy_kv");
        assertThat(summary.get("pairs").asInt()).isEqualTo(3);
        assertThat(summary.get("peer_torch").asText()).isEqualTo("2.13.0+cpu");
        assertThat(summary.get("peer_new_tokens_per_s_median").asDouble()).isEqualTo(20.0);
        ratios.sort(null);
        assertThat(summary.get("ratio_median").asDouble()).isCloseTo(ratios.get(1), within(0.001));
        assertThat(summary.get("ratios")).hasSize(3);
    }

    @Test
    void forwardLinesArePairedWithThePeersSameShapeAndCarryTheCalibration() throws Exception {
        Path script = dir.resolve("peer.sh");
        Files.writeString(script, "#!/bin/bash\n[ \"$*\" = forward ] || exit 3\n"
                + "echo '{\"workload\": \"forward\", \"model\": \"brown-gpt2 shape (4L)\", \"batch\": 32, \"seq\": 128, "
                + "\"tokens_per_s\": 9000.0, \"torch\": \"2.13.0+cpu\"}'\n"
                + "echo '{\"workload\": \"forward\", \"model\": \"brown-gpt2 shape (4L)\", \"batch\": 2, \"seq\": 8, "
                + "\"tokens_per_s\": 100.0, \"torch\": \"2.13.0+cpu\"}'\n");
        CliRun run = CliRun.of("bench", "forward", "--model", "brown-gpt2", "--batch", "2", "--seq", "8", "--reps", "1",
                "--warmup", "0", "--peer", script.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode ours = JSON.readTree(run.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
        assertThat(ours.get("peer_tokens_per_s").asDouble()).isEqualTo(100.0);
        assertThat(ours.get("ratio").asDouble()).isCloseTo(ours.get("tokens_per_s").asDouble() / 100.0,
                within(0.0005));
        assertThat(ours.get("calib_gflops").asDouble()).isPositive();
        assertThat(run.out()).contains("Beside the PyTorch peer (torch 2.13.0+cpu", "Forward throughput");
    }

    @Test
    void aPeerLineMatchesOnWorkloadModelAndShape() throws Exception {
        JsonNode ours = JSON.readTree("{\"workload\": \"forward\", \"model\": \"TinyLlama shape (22L, ours)\", "
                + "\"batch\": 1, \"seq\": 128}");
        JsonNode llama = JSON.readTree("{\"workload\": \"forward\", \"model\": \"TinyLlama shape (22L), random\", "
                + "\"batch\": 1, \"seq\": 128}");
        JsonNode otherSeq = JSON.readTree("{\"workload\": \"forward\", \"model\": \"TinyLlama shape\", \"batch\": 1, "
                + "\"seq\": 64}");
        JsonNode otherModel = JSON.readTree("{\"workload\": \"forward\", \"model\": \"gpt2-small shape\", "
                + "\"batch\": 1, \"seq\": 128}");
        JsonNode otherWorkload = JSON.readTree("{\"workload\": \"gradients_resid_pre\", \"model\": \"TinyLlama\", "
                + "\"batch\": 1, \"seq\": 128}");
        assertThat(PeerPairing.match(ours, List.of(otherSeq, otherModel, otherWorkload, llama))).isSameAs(llama);
        assertThat(PeerPairing.match(ours, List.of(otherSeq, otherModel, otherWorkload))).isNull();
    }

    @Test
    void pairsMustBePositive() {
        CliRun bad = CliRun.of("bench", "patching", "--pairs", "0", "--no-peer");
        assertThat(bad.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(bad.err()).contains("--pairs must be 1..1000, got 0");
    }
}
