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

class BenchSaeCommandTest {

    @TempDir
    Path dir;

    @Test
    void sparseAndDenseRunsPrintJsonWithTheirBoundBesideThePeerAndReachTheSameMse() throws Exception {
        Path script = dir.resolve("peer.sh");
        Files.writeString(script, "#!/bin/bash\n[ \"$1\" = sae ] || exit 3\n"
                + "echo '{\"workload\": \"sae_topk_train\", \"d_in\": 768, \"d_sae\": 24576, \"k\": 32, \"batch\": 4096, "
                + "\"tokens_per_s\": 600.0, \"torch\": \"2.13.0+cpu\"}'\n"
                + "echo '{\"workload\": \"sae_topk_train\", \"d_in\": 256, \"d_sae\": 4096, \"k\": 32, \"batch\": 4096, "
                + "\"tokens_per_s\": 8000.0, \"torch\": \"2.13.0+cpu\"}'\n");
        CliRun run = CliRun.of("bench", "sae", "--shape", "small", "--steps", "3", "--dense", "--peer",
                script.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<JsonNode> lines = run.out().lines().filter(l -> l.startsWith("{")).map(CliRunJson::parse).toList();
        assertThat(lines).hasSize(2 + 2 + 2);   // sparse, dense, the peer's two, a summary each
        JsonNode sparse = lines.get(0);
        JsonNode dense = lines.get(1);
        for (JsonNode ours : List.of(sparse, dense)) {
            double tokens = ours.get("tokens_per_s").asDouble();
            assertThat(ours.get("peer_torch").asText()).isEqualTo("2.13.0+cpu");
            assertThat(ours.get("peer_tokens_per_s").asDouble()).isEqualTo(8000.0);   // the small shape's, not the large
            assertThat(ours.get("ratio").asDouble()).isCloseTo(tokens / 8000.0, within(0.0005));
        }
        JsonNode summary = lines.get(4);
        assertThat(summary.get("summary").asBoolean()).isTrue();
        assertThat(summary.get("path").asText()).isEqualTo("sparse");
        assertThat(summary.get("ratio_median").asDouble()).isEqualTo(sparse.get("ratio").asDouble());
        assertThat(sparse.get("workload").asText()).isEqualTo("sae_topk_train");
        assertThat(sparse.get("d_in").asInt()).isEqualTo(256);
        assertThat(sparse.get("d_sae").asInt()).isEqualTo(4096);
        assertThat(sparse.get("k").asInt()).isEqualTo(32);
        assertThat(sparse.get("batch").asInt()).isEqualTo(4096);
        assertThat(sparse.get("path").asText()).isEqualTo("sparse");
        assertThat(dense.get("path").asText()).isEqualTo("dense");
        assertThat(sparse.get("tokens_per_s").asDouble()).isPositive();
        for (JsonNode line : List.of(sparse, dense)) {
            // the bound: batch / fastest time of the dense encoder product, one timed after each of the 3 steps
            assertThat(line.get("bound_products").asInt()).isEqualTo(3);
            assertThat(line.get("warmup_steps").asInt()).isEqualTo(1);
            assertThat(line.get("bound_gflops").asDouble()).isPositive()
                    .isGreaterThanOrEqualTo(line.get("bound_median_gflops").asDouble());
            double bound = line.get("bound_tokens_per_s").asDouble();
            assertThat(line.get("bound_gflops").asDouble() * 1e9 / (2.0 * 256 * 4096))
                    .isCloseTo(bound, within(0.01 * bound));
            assertThat(line.get("fraction_of_bound").asDouble())
                    .isCloseTo(line.get("tokens_per_s").asDouble() / bound, within(0.002));
        }
        assertThat(sparse.get("final_mse").asDouble()).isLessThan(sparse.get("first_mse").asDouble());
        assertThat(sparse.get("final_mse").asDouble())
                .isCloseTo(dense.get("final_mse").asDouble(), within(1e-4 * dense.get("final_mse").asDouble()));
        assertThat(run.out()).contains("final MSE sparse vs dense", "Beside the PyTorch peer (torch 2.13.0+cpu", "of the bound");
    }

    @Test
    void warmupMustLeaveATimedStep() {
        CliRun run = CliRun.of("bench", "sae", "--shape", "small", "--steps", "3", "--warmup", "3", "--no-peer");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--steps must be more than --warmup (3 untimed), got 3");
        CliRun none = CliRun.of("bench", "sae", "--warmup", "0", "--no-peer");
        assertThat(none.exitCode()).isEqualTo(1);
        assertThat(none.err()).contains("--warmup must be at least 1, got 0");
    }

    @Test
    void unknownShapeIsUsageError() {
        CliRun run = CliRun.of("bench", "sae", "--shape", "huge");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("unknown shape 'huge'");
    }

    /** JSON parsing without checked exceptions, for streams. */
    private static final class CliRunJson {
        static JsonNode parse(String line) {
            try {
                return new ObjectMapper().readTree(line);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + line, e);
            }
        }
    }
}
