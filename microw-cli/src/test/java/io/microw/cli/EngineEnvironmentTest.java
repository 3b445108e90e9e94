package io.microw.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class OmpWaitPolicyTest {

    @Test
    void unsetValueIsReportedAsUnsetAndNeedsTheDefault() {
        OmpWaitPolicy p = OmpWaitPolicy.of(Map.of());
        assertThat(p.value()).isNull();
        assertThat(p.source()).isEqualTo("unset");
        assertThat(OmpWaitPolicy.needsDefault(Map.of())).isTrue();
    }

    @Test
    void theDefaultIsPassiveAndMarkedAsMicrows() {
        Map<String, String> env = new HashMap<>();
        OmpWaitPolicy.applyDefault(env);
        assertThat(env).containsEntry("OMP_WAIT_POLICY", "PASSIVE").containsEntry("MICROW_OMP_DEFAULT", "1");
        assertThat(OmpWaitPolicy.of(env)).isEqualTo(new OmpWaitPolicy("PASSIVE", "microw"));
        assertThat(OmpWaitPolicy.needsDefault(env)).isFalse();
    }

    @Test
    void aValueTheUserSetIsKeptAndNamedTheirs() {
        Map<String, String> env = new HashMap<>(Map.of("OMP_WAIT_POLICY", "ACTIVE"));
        assertThat(OmpWaitPolicy.needsDefault(env)).isFalse();
        OmpWaitPolicy.applyDefault(env);
        assertThat(env).containsEntry("OMP_WAIT_POLICY", "ACTIVE");
        assertThat(OmpWaitPolicy.of(env).source()).isEqualTo("user");
    }

    @Test
    void thePeerLosesMicrowsDefaultButKeepsTheUsers() {
        Map<String, String> ours = new HashMap<>();
        OmpWaitPolicy.applyDefault(ours);
        OmpWaitPolicy.removeDefault(ours);
        assertThat(ours).doesNotContainKeys("OMP_WAIT_POLICY", "MICROW_OMP_DEFAULT");
        Map<String, String> theirs = new HashMap<>(Map.of("OMP_WAIT_POLICY", "PASSIVE"));
        OmpWaitPolicy.removeDefault(theirs);
        assertThat(theirs).containsEntry("OMP_WAIT_POLICY", "PASSIVE");
    }

    @Test
    void jsonFieldsNameValueAndSource() {
        assertThat(OmpWaitPolicy.of(Map.of()).jsonFields())
                .containsExactly(Map.entry("omp_wait_policy", "unset"), Map.entry("omp_wait_policy_source", "unset"));
        assertThat(OmpWaitPolicy.of(Map.of("OMP_WAIT_POLICY", "ACTIVE")).jsonFields())
                .containsEntry("omp_wait_policy", "ACTIVE").containsEntry("omp_wait_policy_source", "user");
    }

    @Test
    void cmdlineKeepsEmptyArgumentsAndDropsTheFinalTerminator() {
        byte[] bytes = "java\0-jar\0m.jar\0\0--x\0".getBytes(StandardCharsets.UTF_8);
        assertThat(OmpRelaunch.parseCmdline(bytes)).contains(List.of("java", "-jar", "m.jar", "", "--x"));
        assertThat(OmpRelaunch.parseCmdline(new byte[0])).isEmpty();
    }

    @Test
    void plainJavaStartRelaunchesWithPassive() throws Exception {
        String out = runMain(null);
        assertThat(out).contains("OMP_WAIT_POLICY=PASSIVE (microw's default");
    }

    @Test
    void plainJavaStartKeepsTheUsersPolicy() throws Exception {
        String out = runMain("ACTIVE");
        assertThat(out).contains("OMP_WAIT_POLICY=ACTIVE (set by the user)").doesNotContain("PASSIVE");
    }

    /** {@code java -cp ... io.microw.cli.Main --version} in a fresh JVM, with the policy unset or set to a value. */
    private static String runMain(String policy) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "io.microw.cli.Main", "--version")).redirectErrorStream(true);
        pb.environment().remove("OMP_WAIT_POLICY");
        pb.environment().remove("MICROW_OMP_DEFAULT");
        if (policy != null) {
            pb.environment().put("OMP_WAIT_POLICY", policy);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
