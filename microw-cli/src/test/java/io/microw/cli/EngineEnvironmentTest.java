package io.microw.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class EngineEnvironmentTest {

    private static final String HUGETLB = "glibc.malloc.hugetlb=1";
    /** microw's MKL dispatch shim on this machine: present on AMD x86-64 Linux when the build had gcc. */
    private static final Optional<String> SHIM = MklDispatchShim.forThisMachine().map(Path::toString);

    @Test
    void unsetValuesAreReportedAsUnsetAndNeedTheDefaults() {
        assertThat(EngineEnvironment.of(Map.of())).allSatisfy(s -> {
            assertThat(s.value()).isNull();
            assertThat(s.source()).isEqualTo("unset");
        });
        assertThat(EngineEnvironment.needsDefaults(Map.of())).isTrue();
        // one of them unset is enough for a restart
        assertThat(EngineEnvironment.needsDefaults(Map.of("OMP_WAIT_POLICY", "ACTIVE"))).isTrue();
        assertThat(EngineEnvironment.needsDefaults(Map.of("GLIBC_TUNABLES", "x"))).isTrue();
        assertThat(EngineEnvironment.needsDefaults(Map.of("OMP_WAIT_POLICY", "ACTIVE", "GLIBC_TUNABLES", "x",
                "LD_PRELOAD", "/opt/lib/x.so", "MKL_CBWR", "AVX2"))).isFalse();
        // the shim's variables count only where microw sets them
        assertThat(EngineEnvironment.needsDefaults(Map.of("OMP_WAIT_POLICY", "ACTIVE", "GLIBC_TUNABLES", "x")))
                .isEqualTo(SHIM.isPresent());
    }

    @Test
    void theDefaultsArePassiveAndHugePagesAndMarkedAsMicrows() {
        Map<String, String> env = new HashMap<>();
        EngineEnvironment.applyDefaults(env);
        assertThat(env).containsEntry("OMP_WAIT_POLICY", "PASSIVE").containsEntry("GLIBC_TUNABLES", HUGETLB)
                .containsEntry("MICROW_OMP_DEFAULT", "1");
        assertThat(env.get("LD_PRELOAD")).isEqualTo(SHIM.orElse(null));
        assertThat(env.get("MKL_CBWR")).isEqualTo(SHIM.isPresent() ? "AUTO,STRICT" : null);
        String shimSource = SHIM.isPresent() ? "microw" : "unset";
        assertThat(EngineEnvironment.of(env)).extracting(EngineEnvironment.Setting::source)
                .containsExactly("microw", "microw", shimSource, shimSource);
        assertThat(EngineEnvironment.needsDefaults(env)).isFalse();
    }

    @Test
    void theMarkerAloneMeansNoDefaultsAndNoRestart() {
        Map<String, String> env = Map.of("MICROW_OMP_DEFAULT", "0");
        assertThat(EngineEnvironment.needsDefaults(env)).isFalse();
        assertThat(EngineEnvironment.of(env)).extracting(EngineEnvironment.Setting::source)
                .containsExactly("unset", "unset", "unset", "unset");
    }

    @Test
    void valuesTheUserSetAreKeptAndNamedTheirs() {
        Map<String, String> env = new HashMap<>(Map.of("OMP_WAIT_POLICY", "ACTIVE",
                "GLIBC_TUNABLES", "glibc.malloc.arena_max=2", "LD_PRELOAD", "/opt/lib/x.so", "MKL_CBWR", "AVX2"));
        EngineEnvironment.applyDefaults(env);
        assertThat(env).containsEntry("OMP_WAIT_POLICY", "ACTIVE")
                .containsEntry("GLIBC_TUNABLES", "glibc.malloc.arena_max=2").containsEntry("LD_PRELOAD", "/opt/lib/x.so");
        assertThat(EngineEnvironment.of(env)).extracting(EngineEnvironment.Setting::source)
                .containsExactly("user", "user", "user", "user");
    }

    @Test
    void thePeerLosesMicrowsDefaultsButKeepsTheUsers() {
        Map<String, String> ours = new HashMap<>();
        EngineEnvironment.applyDefaults(ours);
        EngineEnvironment.removeDefaults(ours);
        assertThat(ours).doesNotContainKeys("OMP_WAIT_POLICY", "GLIBC_TUNABLES", "LD_PRELOAD", "MKL_CBWR",
                "MICROW_OMP_DEFAULT");
        Map<String, String> mixed = new HashMap<>(Map.of("OMP_WAIT_POLICY", "ACTIVE", "LD_PRELOAD", "/opt/lib/x.so"));
        EngineEnvironment.applyDefaults(mixed);
        EngineEnvironment.removeDefaults(mixed);
        assertThat(mixed).containsOnly(Map.entry("OMP_WAIT_POLICY", "ACTIVE"), Map.entry("LD_PRELOAD", "/opt/lib/x.so"));
    }

    @Test
    void jsonFieldsNameValueAndSource() {
        assertThat(EngineEnvironment.jsonFields(Map.of())).containsExactly(
                Map.entry("omp_wait_policy", "unset"), Map.entry("omp_wait_policy_source", "unset"),
                Map.entry("glibc_tunables", "unset"), Map.entry("glibc_tunables_source", "unset"),
                Map.entry("ld_preload", "unset"), Map.entry("ld_preload_source", "unset"),
                Map.entry("mkl_cbwr", "unset"), Map.entry("mkl_cbwr_source", "unset"));
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
        assertThat(out).contains(SHIM.map(path -> "LD_PRELOAD=" + path + " (microw's default")
                .orElse("LD_PRELOAD unset"));
        assertThat(out).contains(SHIM.isPresent() ? "MKL_CBWR=AUTO,STRICT (microw's default" : "MKL_CBWR unset");
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
        pb.environment().remove("LD_PRELOAD");
        pb.environment().remove("MKL_CBWR");
        if (policy != null) {
            pb.environment().put("OMP_WAIT_POLICY", policy);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
