package io.microw.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EngineEnvironmentTest {

    private static final String HUGETLB = "glibc.malloc.hugetlb=1";

    @Test
    void unsetValuesAreReportedAsUnsetAndNeedTheDefaults() {
        assertThat(EngineEnvironment.of(Map.of())).allSatisfy(s -> {
            assertThat(s.value()).isNull();
            assertThat(s.source()).isEqualTo("unset");
        });
        assertThat(EngineEnvironment.needsDefaults(Map.of())).isTrue();
        // one of the two unset is enough for a restart
        assertThat(EngineEnvironment.needsDefaults(Map.of("OMP_WAIT_POLICY", "ACTIVE"))).isTrue();
        assertThat(EngineEnvironment.needsDefaults(Map.of("GLIBC_TUNABLES", "x"))).isTrue();
        assertThat(EngineEnvironment.needsDefaults(Map.of("OMP_WAIT_POLICY", "ACTIVE", "GLIBC_TUNABLES", "x")))
                .isFalse();
    }

    @Test
    void theDefaultsArePassiveAndHugePagesAndMarkedAsMicrows() {
        Map<String, String> env = new HashMap<>();
        EngineEnvironment.applyDefaults(env);
        assertThat(env).containsEntry("OMP_WAIT_POLICY", "PASSIVE").containsEntry("GLIBC_TUNABLES", HUGETLB)
                .containsEntry("MICROW_OMP_DEFAULT", "1");
        assertThat(EngineEnvironment.of(env)).extracting(EngineEnvironment.Setting::source)
                .containsExactly("microw", "microw");
        assertThat(EngineEnvironment.needsDefaults(env)).isFalse();
    }

    @Test
    void theMarkerAloneMeansNoDefaultsAndNoRestart() {
        Map<String, String> env = Map.of("MICROW_OMP_DEFAULT", "0");
        assertThat(EngineEnvironment.needsDefaults(env)).isFalse();
        assertThat(EngineEnvironment.of(env)).extracting(EngineEnvironment.Setting::source)
                .containsExactly("unset", "unset");
    }

    @Test
    void valuesTheUserSetAreKeptAndNamedTheirs() {
        Map<String, String> env = new HashMap<>(Map.of("OMP_WAIT_POLICY", "ACTIVE",
                "GLIBC_TUNABLES", "glibc.malloc.arena_max=2"));
        EngineEnvironment.applyDefaults(env);
        assertThat(env).containsEntry("OMP_WAIT_POLICY", "ACTIVE")
                .containsEntry("GLIBC_TUNABLES", "glibc.malloc.arena_max=2");
        assertThat(EngineEnvironment.of(env)).extracting(EngineEnvironment.Setting::source)
                .containsExactly("user", "user");
    }

    @Test
    void thePeerLosesMicrowsDefaultsButKeepsTheUsers() {
        Map<String, String> ours = new HashMap<>();
        EngineEnvironment.applyDefaults(ours);
        EngineEnvironment.removeDefaults(ours);
        assertThat(ours).doesNotContainKeys("OMP_WAIT_POLICY", "GLIBC_TUNABLES", "MICROW_OMP_DEFAULT");
        Map<String, String> mixed = new HashMap<>(Map.of("OMP_WAIT_POLICY", "ACTIVE"));
        EngineEnvironment.applyDefaults(mixed);
        EngineEnvironment.removeDefaults(mixed);
        assertThat(mixed).containsExactly(Map.entry("OMP_WAIT_POLICY", "ACTIVE"));
    }

    @Test
    void jsonFieldsNameValueAndSource() {
        assertThat(EngineEnvironment.jsonFields(Map.of())).containsExactly(
                Map.entry("omp_wait_policy", "unset"), Map.entry("omp_wait_policy_source", "unset"),
                Map.entry("glibc_tunables", "unset"), Map.entry("glibc_tunables_source", "unset"));
        assertThat(EngineEnvironment.jsonFields(Map.of("OMP_WAIT_POLICY", "ACTIVE")))
                .containsEntry("omp_wait_policy", "ACTIVE").containsEntry("omp_wait_policy_source", "user");
    }

    @Test
    void cmdlineKeepsEmptyArgumentsAndDropsTheFinalTerminator() {
        byte[] bytes = "java\0-jar\0m.jar\0\0--x\0".getBytes(StandardCharsets.UTF_8);
        assertThat(EngineRelaunch.parseCmdline(bytes)).contains(List.of("java", "-jar", "m.jar", "", "--x"));
        assertThat(EngineRelaunch.parseCmdline(new byte[0])).isEmpty();
    }

    @Test
    void plainJavaStartRelaunchesWithTheDefaults() throws Exception {
        String out = runMain(null);
        assertThat(out).contains("OMP_WAIT_POLICY=PASSIVE (microw's default",
                "GLIBC_TUNABLES=" + HUGETLB + " (microw's default");
    }

    @Test
    void plainJavaStartKeepsTheUsersPolicy() throws Exception {
        String out = runMain("ACTIVE");
        assertThat(out).contains("OMP_WAIT_POLICY=ACTIVE (set by the user)", "GLIBC_TUNABLES=" + HUGETLB)
                .doesNotContain("PASSIVE");
    }

    /** {@code java -cp ... io.microw.cli.Main --version} in a fresh JVM, with the policy unset or set to a value. */
    private static String runMain(String policy) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "io.microw.cli.Main", "--version")).redirectErrorStream(true);
        pb.environment().remove("OMP_WAIT_POLICY");
        pb.environment().remove("MICROW_OMP_DEFAULT");
        pb.environment().remove("GLIBC_TUNABLES");
        if (policy != null) {
            pb.environment().put("OMP_WAIT_POLICY", policy);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
