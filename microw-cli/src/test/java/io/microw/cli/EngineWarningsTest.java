package io.microw.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A CLI run in a fresh JVM (restarting itself as {@code java -jar} does) shows libtorch's native warnings and DJL's
 * INFO lines only with {@code --verbose}, and its errors always.
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

    /** {@code java -cp ... io.microw.cli.Main args} with microw's engine defaults unset (so it restarts); its stderr. */
    private static String stderrOf(String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "io.microw.cli.Main"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("OMP_WAIT_POLICY");
        pb.environment().remove("MICROW_OMP_DEFAULT");
        pb.environment().remove("GLIBC_TUNABLES");
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isEqualTo(Main.EXIT_ERROR);
        return err;
    }
}
