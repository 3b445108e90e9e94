package io.microw.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class MklDispatchShimTest {

    private static final String AMD = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n";
    private static final String INTEL = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n";

    @Test
    void appliesOnlyToAmdProcessorsUnderLinuxOnX86() {
        assertThat(MklDispatchShim.appliesTo("Linux", "amd64", AMD)).isTrue();
        assertThat(MklDispatchShim.appliesTo("Linux", "x86_64", AMD)).isTrue();
        assertThat(MklDispatchShim.appliesTo("Linux", "amd64", INTEL)).isFalse();
        assertThat(MklDispatchShim.appliesTo("Linux", "aarch64", AMD)).isFalse();
        assertThat(MklDispatchShim.appliesTo("Mac OS X", "amd64", AMD)).isFalse();
        assertThat(MklDispatchShim.appliesTo("Linux", "amd64", "processor\t: 0\n")).isFalse();
        assertThat(MklDispatchShim.appliesTo(null, "amd64", AMD)).isFalse();
    }

    @Test
    void extractsOnceUnderANameThatCarriesTheContent(@TempDir Path dir) throws IOException {
        byte[] shim = "not really an ELF file".getBytes(StandardCharsets.UTF_8);
        Path first = MklDispatchShim.extract(shim, dir.resolve("native"));
        assertThat(first.getFileName().toString()).matches("libmicrow_mkl_dispatch-[0-9a-f]{16}\\.so");
        assertThat(Files.readAllBytes(first)).isEqualTo(shim);
        FileTime written = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(first, written);
        assertThat(MklDispatchShim.extract(shim, dir.resolve("native"))).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(first)).as("left as it was").isEqualTo(written);

        Files.write(first, new byte[] {1, 2, 3});   // damaged: written again
        assertThat(MklDispatchShim.extract(shim, dir.resolve("native"))).isEqualTo(first);
        assertThat(Files.readAllBytes(first)).isEqualTo(shim);

        Path other = MklDispatchShim.extract("another shim".getBytes(StandardCharsets.UTF_8), dir.resolve("native"));
        assertThat(other).isNotEqualTo(first);
        try (var files = Files.list(dir.resolve("native"))) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no temporary file left").allMatch(n -> n.startsWith("libmicrow_mkl_dispatch-")).hasSize(2);
        }
    }

    @Test
    void theJarCarriesTheShimWhereTheBuildHadGcc() throws IOException {
        assumeThat(Path.of("/usr/bin/gcc")).as("the build compiles the shim with gcc").exists();
        assumeThat(System.getProperty("os.arch")).isEqualTo("amd64");
        try (InputStream in = MklDispatchShim.class.getClassLoader().getResourceAsStream(MklDispatchShim.RESOURCE)) {
            assertThat(in).as(MklDispatchShim.RESOURCE).isNotNull();
            byte[] head = in.readNBytes(4);
            assertThat(head).as("an ELF file").containsExactly(0x7f, 'E', 'L', 'F');
        }
    }

    /**
     * On an AMD processor, libtorch's MKL picks its generic code path by itself and a faster one (AVX-512 on this
     * kind of machine: 7) with the shim preloaded: the preloaded definition is the one MKL's calls reach.
     */
    @Test
    void preloadingTheShimChangesMklsCodePathOnAmdProcessors() throws Exception {
        Optional<Path> shim = MklDispatchShim.forThisMachine();
        assumeThat(shim).as("an AMD x86-64 Linux machine and a jar with the shim").isPresent();
        int own = codePath(null);
        int withShim = codePath(shim.get());
        System.out.printf("MklDispatchShimTest: MKL code path %d without the shim, %d with it%n", own, withShim);
        assertThat(withShim).as("MKL's code path with the shim, against %d without", own).isGreaterThan(own);
    }

    /** What {@link MklDispatchProbe} prints as MKL's code path, in a JVM with {@code preload} (or nothing) preloaded. */
    private static int codePath(Path preload) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), MklDispatchProbe.class.getName()))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("LD_PRELOAD");
        if (preload != null) {
            pb.environment().put("LD_PRELOAD", preload.toString());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String line = out.lines().filter(l -> l.startsWith("mkl_serv_cpu_detect=")).findFirst()
                .orElseThrow(() -> new AssertionError("no code path in: " + out));
        return Integer.parseInt(line.substring(line.indexOf('=') + 1).trim());
    }
}
