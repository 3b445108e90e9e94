package io.microw.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A CLI run in a fresh JVM (restarting itself as {@code java -jar} does, or not when the user set the engine's
 * variables) shows libtorch's native warnings and DJL's INFO lines only with {@code --verbose}, and its errors always.
 */
class EngineWarningsTest {

    private static final String WARNING = "AutoNonVariableTypeMode is deprecated";

    @Test
    void withoutVerboseEngineMessagesAreLeftOutAndErrorsShow() throws Exception {
        String err = stderrOf("engine-warning");
        assertThat(err).contains("microw: error: " + EngineWarningCommand.ERROR)
                .doesNotContain(WARNING, "Warning:", "PtEngine", "Number of inter-op threads", "CudaUtils");
    }

    @Test
    void withVerboseTheyShow() throws Exception {
        String err = stderrOf("engine-warning", "--verbose");
        assertThat(err).contains(WARNING, "Number of inter-op threads", "microw: error: " + EngineWarningCommand.ERROR);
    }

    @Test
    void withTheVariablesExportedByTheUserTheyAreLeftOutToo() throws Exception {
        // no restart, so no filter: the engine's log level keeps them out
        String err = stderrOf(Map.of("OMP_WAIT_POLICY", "PASSIVE", "GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"),
                "engine-warning");
        assertThat(err).contains("microw: error: " + EngineWarningCommand.ERROR).doesNotContain(WARNING, "Warning:");
        String verbose = stderrOf(Map.of("OMP_WAIT_POLICY", "PASSIVE", "GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"),
                "engine-warning", "--verbose");
        assertThat(verbose).contains(WARNING);
    }

    @Test
    void withTheDefaultsOptedOutTheyAreLeftOutToo() throws Exception {
        String err = stderrOf(Map.of("MICROW_OMP_DEFAULT", "0"), "engine-warning");
        assertThat(err).contains("microw: error: " + EngineWarningCommand.ERROR).doesNotContain(WARNING, "Warning:");
    }

    @Test
    void helpAndVersionDoNotLoadTheEngine() {
        CommandLine cmd = Main.commandLine();
        assertThat(Main.runsACommand(cmd.parseArgs("--version"))).isFalse();
        assertThat(Main.runsACommand(Main.commandLine().parseArgs("model", "info", "--help"))).isFalse();
        assertThat(Main.runsACommand(Main.commandLine().parseArgs())).isFalse();
        assertThat(Main.runsACommand(Main.commandLine().parseArgs("engine-warning"))).isTrue();
    }

    @Test
    void theLevelIsRaisedToErrorsOnly() {
        assertThat(EngineLogLevel.errorsOnly()).as("c10's flags found in libc10.so").isTrue();
        assertThat(EngineLogLevel.current()).isEqualTo(EngineLogLevel.ERROR);
    }

    private static String stderrOf(String... args) throws IOException, InterruptedException {
        return stderrOf(Map.of(), args);
    }

    /**
     * {@code java -cp ... io.microw.cli.Main args} with microw's engine variables unset (so it restarts) except those in
     * {@code env}; its stderr.
     */
    private static String stderrOf(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "io.microw.cli.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("OMP_WAIT_POLICY");
        pb.environment().remove("MICROW_OMP_DEFAULT");
        pb.environment().remove("GLIBC_TUNABLES");
        pb.environment().putAll(env);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isEqualTo(Main.EXIT_ERROR);
        return err;
    }
}
