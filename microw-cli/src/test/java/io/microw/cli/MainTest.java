package io.microw.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    @Test
    void versionPrintsMicrowVersion() {
        CliRun run = CliRun.of("--version");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("microw ").doesNotContain("${");
    }

    @Test
    void helpListsSubcommands() {
        CliRun run = CliRun.of("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("demo", "layers", "bench");
    }

    @Test
    void withoutTheSparkModuleThereIsNoSparkCommandAndHelpSaysWhereItComesFrom() {
        assertThat(Main.commandLine().getSubcommands()).doesNotContainKey("spark");
        CliRun help = CliRun.of("--help");
        assertThat(help.out()).contains("microw-spark jar");
        CliRun run = CliRun.of("spark", "extract");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("spark");
    }

    @Test
    void noSubcommandIsUsageError() {
        CliRun run = CliRun.of();
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("subcommand is required", "Usage: microw");
    }

    @Test
    void unknownSubcommandIsUsageError() {
        CliRun run = CliRun.of("frobnicate");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("frobnicate");
    }

    @Test
    void badOptionValueIsUsageError() {
        CliRun run = CliRun.of("demo", "--threads", "many");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--threads", "many");
    }

    @Test
    void benchWithoutBenchmarkIsUsageError() {
        CliRun run = CliRun.of("bench");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("forward");
    }

    @Test
    void subcommandHelpExitsZero() {
        CliRun run = CliRun.of("bench", "forward", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Usage: microw bench forward", "--reps", "run-torch-ref.sh");
    }
}
