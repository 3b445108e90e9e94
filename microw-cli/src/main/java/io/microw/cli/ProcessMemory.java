package io.microw.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * This process's resident memory from Linux's {@code /proc/self/status}: the current resident set ({@code VmRSS})
 * and its peak ({@code VmHWM}), which {@link #resetPeak()} sets back to the current value.
 */
final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {
    }

    /** {@code VmRSS} in bytes, or empty off Linux. */
    static OptionalLong residentBytes() {
        return field("VmRSS:");
    }

    /** {@code VmHWM} (the peak resident set) in bytes, or empty off Linux. */
    static OptionalLong peakResidentBytes() {
        return field("VmHWM:");
    }

    /**
     * Sets the peak back to the current resident set (writes 5 to {@code /proc/self/clear_refs}).
     *
     * @return whether the kernel took it
     */
    static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static OptionalLong field(String name) {
        try {
            return parse(Files.readAllLines(STATUS), name);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * A {@code kB} field of a status file in bytes.
     *
     * @param lines the file's lines
     * @param name  the field with its colon, e.g. {@code "VmHWM:"}
     * @return its value in bytes, or empty when absent
     */
    static OptionalLong parse(List<String> lines, String name) {
        for (String line : lines) {
            if (line.startsWith(name)) {
                String[] parts = line.substring(name.length()).trim().split("\\s+");
                return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
            }
        }
        return OptionalLong.empty();
    }
}
