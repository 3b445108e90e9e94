package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BenchServeCommandTest {

    @Test
    void tinyRunReportsEveryLevelAsJson() throws Exception {
        CliRun run = CliRun.of("bench", "serve", "--clients", "1,2", "--requests", "4", "--max-new-tokens", "2",
                "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("workload").asText()).isEqualTo("serve_generate");
        assertThat(json.get("server").asText()).isEqualTo("in-process");
        assertThat(json.get("batching").asBoolean()).isTrue();
        assertThat(json.get("max_new_tokens").asInt()).isEqualTo(2);
        assertThat(json.get("processors").asInt()).isPositive();
        assertThat(json.get("threads").asInt()).isPositive();
        assertThat(json.get("java").asText()).isNotBlank();
        assertThat(json.get("errors").asInt()).isZero();
        JsonNode levels = json.get("levels");
        assertThat(levels).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode level = levels.get(i);
            assertThat(level.get("clients").asInt()).isEqualTo(i + 1);
            assertThat(level.get("requests").asInt()).isEqualTo(4);
            assertThat(level.get("errors").asInt()).isZero();
            assertThat(level.get("requests_per_s").asDouble()).isPositive();
            assertThat(level.get("tokens_per_s").asDouble()).isPositive();
            assertThat(level.get("p50_ms").asDouble()).isPositive()
                    .isLessThanOrEqualTo(level.get("p90_ms").asDouble());
            assertThat(level.get("p90_ms").asDouble()).isLessThanOrEqualTo(level.get("p99_ms").asDouble());
            assertThat(level.get("p99_ms").asDouble()).isLessThanOrEqualTo(level.get("max_ms").asDouble());
        }
    }

    @Test
    void noBatchingRunsEveryGenerationAloneAndOnlyInProcess() throws Exception {
        CliRun run = CliRun.of("bench", "serve", "--clients", "2", "--requests", "4", "--max-new-tokens", "2",
                "--no-batching", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("batching").asBoolean()).isFalse();
        assertThat(json.get("errors").asInt()).isZero();
        CliRun remote = CliRun.of("bench", "serve", "--url", "http://127.0.0.1:1", "--no-batching");
        assertThat(remote.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(remote.err()).contains("--no-batching");
    }

    @Test
    void zeroClientsIsAUsageError() {
        CliRun run = CliRun.of("bench", "serve", "--clients", "1,0");
        assertThat(run.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run.err()).contains("--clients", "got 0");
    }

    @Test
    void nonNumericClientsIsAUsageError() {
        CliRun run = CliRun.of("bench", "serve", "--clients", "abc");
        assertThat(run.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run.err()).contains("--clients", "'abc'");
    }

    @Test
    void unreachableServerFailsWithOneLine() {
        CliRun run = CliRun.of("bench", "serve", "--url", "http://127.0.0.1:1", "--requests", "1");
        assertThat(run.exitCode()).isEqualTo(Main.EXIT_ERROR);
        assertThat(run.err()).contains("GET /api/health on http://127.0.0.1:1/api failed");
    }

    @Test
    void nearestRankPercentiles() {
        double[] xs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(BenchServeCommand.percentile(xs, 50)).isEqualTo(5);
        assertThat(BenchServeCommand.percentile(xs, 90)).isEqualTo(9);
        assertThat(BenchServeCommand.percentile(xs, 99)).isEqualTo(10);
        assertThat(BenchServeCommand.percentile(new double[] {7}, 50)).isEqualTo(7);
        assertThat(BenchServeCommand.percentile(new double[0], 50)).isNaN();
    }
}
