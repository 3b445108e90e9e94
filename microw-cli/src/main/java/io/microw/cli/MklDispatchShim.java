package io.microw.cli;

import io.microw.io.AtomicFiles;
import io.microw.io.MicrowHome;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The MKL dispatch shim that microw preloads on AMD processors. libtorch's oneMKL gives AMD processors its generic
 * AVX2 kernels even where they have AVX-512; the shim (microw-core's {@code src/main/c/mkl_intel_dispatch.c}, in
 * microw-core's jar where the build had gcc) answers MKL's "is this an Intel processor?" with yes, and MKL then picks
 * kernels by the instruction sets the processor has: about twice the float32 product speed on an AMD EPYC with
 * AVX-512 (BENCHMARKS.md, "MKL on AMD processors"). The library must be preloaded ({@code LD_PRELOAD}) when the JVM
 * starts, so {@link EngineRelaunch} sets it with the other engine defaults; this class copies it out of the jar into
 * microw's cache directory ({@code $MICROW_HOME/native}, default {@code ~/.cache/microw/native}) under a name that
 * carries its content's hash.
 */
final class MklDispatchShim {

    /** Where microw-core's jar carries the shim. */
    static final String RESOURCE = "META-INF/microw/native/linux-x86_64/libmicrow_mkl_dispatch.so";

    private static volatile Optional<Path> forThisMachine;

    private MklDispatchShim() {
    }

    /**
     * The shim to preload on this machine, copied out of the jar once per process.
     *
     * @return its file, or empty off AMD x86-64 Linux, when the jar has none, or when it cannot be written
     */
    static Optional<Path> forThisMachine() {
        Optional<Path> path = forThisMachine;
        if (path == null) {
            path = locate();
            forThisMachine = path;
        }
        return path;
    }

    private static Optional<Path> locate() {
        String cpuinfo;
        try {
            cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        if (!appliesTo(System.getProperty("os.name"), System.getProperty("os.arch"), cpuinfo)) {
            return Optional.empty();
        }
        try (InputStream in = MklDispatchShim.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return Optional.empty();
            }
            return Optional.of(extract(in.readAllBytes(), MicrowHome.directory().resolve("native")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether the shim is for this machine: Linux on x86-64 with an AMD processor ({@code vendor_id} in
     * {@code /proc/cpuinfo}). Intel's processors get MKL's own choice already; other architectures have no MKL.
     *
     * @param osName  {@code os.name}
     * @param osArch  {@code os.arch}
     * @param cpuinfo the text of {@code /proc/cpuinfo}
     * @return true where preloading it changes MKL's choice
     */
    static boolean appliesTo(String osName, String osArch, String cpuinfo) {
        if (osName == null || !osName.toLowerCase(Locale.ROOT).startsWith("linux")
                || !("amd64".equals(osArch) || "x86_64".equals(osArch))) {
            return false;
        }
        return cpuinfo.lines().anyMatch(l -> l.startsWith("vendor_id") && l.endsWith("AuthenticAMD"));
    }

    /**
     * Writes the shim's bytes into {@code directory} as {@code libmicrow_mkl_dispatch-<hash>.so}, unless a file of
     * that name with the same bytes is there already (a new microw version with a different shim gets a new name).
     *
     * @param shim      the library's bytes
     * @param directory where to put it (created when missing)
     * @return the file
     * @throws IOException when it cannot be written
     */
    static Path extract(byte[] shim, Path directory) throws IOException {
        Path file = directory.resolve("libmicrow_mkl_dispatch-" + sha256(shim).substring(0, 16) + ".so");
        if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), shim)) {
            return file;
        }
        Files.createDirectories(directory);
        AtomicFiles.writeBytes(file, shim);
        return file;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
