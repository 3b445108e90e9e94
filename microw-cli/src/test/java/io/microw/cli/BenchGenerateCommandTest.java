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

/** A smoke test only: a tiny generation on brown-gpt2 and a stand-in peer script; the real benchmark runs by hand. */
class BenchGenerateCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void tinyRunNamesThePeersTorchAndTheRatioInItsJsonLine() throws Exception {
        Path script = dir.resolve("peer.sh");
        Files.writeString(script, "#!/bin/bash\n[ \"$1\" = generate ] || exit 3\n"
                + "echo '{\"workload\": \"generate_greedy_kv\", \"model\": \"brown-gpt2 shape (4L)\", \"batch\": 2, "
                + "\"prompt\": 3, \"new_tokens\": 4, \"new_tokens_per_s\": 10.0, \"torch\": \"2.13.0+cpu\", "
                + "\"policy\": \"'\"${OMP_WAIT_POLICY:-unset}\"'\", "
                + "\"tunables\": \"'\"${GLIBC_TUNABLES:-unset}\"'\"}'\n");
        CliRun run = CliRun.of("bench", "generate", "--model", "brown-gpt2", "--batch", "2", "--prompt", "3",
                "--new-tokens", "4", "--warmup", "0", "--warmup-seconds", "0", "--peer", script.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().filter(l -> l.startsWith("{")).toList();
        assertThat(lines).hasSize(3);   // ours, the peer's, the summary
        JsonNode ours = JSON.readTree(lines.get(0));
        assertThat(ours.path("workload").asText()).isEqualTo("generate_greedy_kv");
        assertThat(ours.path("generated_tokens").asLong()).isEqualTo(2 * 4);
        assertThat(ours.path("peer_torch").asText()).isEqualTo("2.13.0+cpu");
        assertThat(ours.path("peer_new_tokens_per_s").asDouble()).isEqualTo(10.0);
        double mine = ours.path("new_tokens_per_s").asDouble();
        assertThat(mine).isPositive();
        assertThat(ours.path("ratio").asDouble()).isCloseTo(mine / 10.0, within(0.0005));
        assertThat(ours.path("omp_wait_policy").asText()).isNotEmpty();
        assertThat(ours.path("glibc_tunables").asText()).isNotEmpty();
        // microw's defaults (surefire's) are not passed on to the peer; values a user set would be
        JsonNode peer = JSON.readTree(lines.get(1));
        assertThat(peer.path("policy").asText()).isEqualTo(peerSees("OMP_WAIT_POLICY", "PASSIVE"));
        assertThat(peer.path("tunables").asText()).isEqualTo(peerSees("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"));
    }

    /** What the peer should see of a variable: unset when it holds microw's default, else the user's value. */
    private static String peerSees(String variable, String microwsDefault) {
        String value = System.getenv(variable);
        boolean ours = "1".equals(System.getenv("MICROW_OMP_DEFAULT")) && microwsDefault.equals(value);
        return value == null || ours ? "unset" : value;
    }

    @Test
    void withoutAPeerThereIsNoPeerField() throws Exception {
        JsonNode ours = tinyRunWithoutPeer("0", "0");
        assertThat(ours.has("peer_torch")).isFalse();
        assertThat(ours.path("generated_tokens").asLong()).isEqualTo(2);
        assertThat(ours.path("warmup_runs").asInt()).isZero();
    }

    @Test
    void warmUpRunsGoOnUntilTheirSecondsHavePassed() throws Exception {
        // a run of 2 new tokens for one prompt takes milliseconds: 1.5 s of them is many more than the 1 asked for
        assertThat(tinyRunWithoutPeer("1", "1.5").path("warmup_runs").asInt()).isGreaterThan(1);
        assertThat(tinyRunWithoutPeer("3", "0").path("warmup_runs").asInt()).isEqualTo(3);
    }

    /** microw's JSON line for 2 new tokens of one 2-token prompt on brown-gpt2, with the warm-up given, no peer. */
    private static JsonNode tinyRunWithoutPeer(String warmup, String warmupSeconds) throws Exception {
        CliRun run = CliRun.of("bench", "generate", "--model", "brown-gpt2", "--batch", "1", "--prompt", "2",
                "--new-tokens", "2", "--warmup", warmup, "--warmup-seconds", warmupSeconds, "--no-peer", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        return JSON.readTree(run.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
    }

    @Test
    void badValuesAreUsageErrors() {
        CliRun bad = CliRun.of("bench", "generate", "--new-tokens", "0", "--no-peer");
        assertThat(bad.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(bad.err().strip()).startsWith("microw: error: --new-tokens must be at least 1, got 0");
        CliRun tooLong = CliRun.of("bench", "generate", "--model", "brown-gpt2", "--prompt", "100000", "--no-peer");
        assertThat(tooLong.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(tooLong.err()).contains("positions, more than brown-gpt2 has");
        CliRun negative = CliRun.of("bench", "generate", "--warmup-seconds", "-1", "--no-peer");
        assertThat(negative.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(negative.err().strip()).startsWith("microw: error: --warmup-seconds must be 0..600, got -1.0");
    }
}
