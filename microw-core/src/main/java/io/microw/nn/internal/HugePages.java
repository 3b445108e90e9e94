package io.microw.nn.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Whether large allocations of this process (libtorch's tensors, whose memory comes from glibc's {@code malloc}) are
 * backed by transparent huge pages: with {@code GLIBC_TUNABLES=glibc.malloc.hugetlb=1} (one of microw's engine
 * defaults) glibc asks for them on every block it maps, and the kernel grants them unless transparent huge pages are
 * off; with the kernel's {@code always} mode every large mapping gets them. A fresh block mapped without them costs
 * one page fault per 4 KiB when first written, with them one per 2 MiB, so code that sizes its temporary tensors
 * (the SAE trainer's encoder slices) can afford larger ones when this holds.
 */
public final class HugePages {

    private static final Path THP_MODE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final boolean FOR_LARGE_ALLOCATIONS = forLargeAllocations(System.getenv(), kernelMode());

    private HugePages() {
    }

    /**
     * Whether this process's large allocations get transparent huge pages (read once, at first use).
     *
     * @return true when glibc's tunable asks for them and the kernel grants them, or the kernel gives them always
     */
    public static boolean forLargeAllocations() {
        return FOR_LARGE_ALLOCATIONS;
    }

    /**
     * The decision for a given environment and kernel mode.
     *
     * @param env        the process environment ({@code GLIBC_TUNABLES} is read)
     * @param kernelMode the selected transparent-huge-page mode ({@code always}, {@code madvise}, {@code never}), or
     *                   empty where the kernel has none
     * @return whether large allocations get huge pages
     */
    static boolean forLargeAllocations(Map<String, String> env, String kernelMode) {
        if (kernelMode.equals("always")) {
            return true;
        }
        if (!kernelMode.equals("madvise")) {
            return false;
        }
        String tunables = env.getOrDefault("GLIBC_TUNABLES", "");
        for (String setting : tunables.split(":")) {
            if (setting.trim().equals("glibc.malloc.hugetlb=1")) {
                return true;
            }
        }
        return false;
    }

    /** The bracketed mode of {@code always [madvise] never}, or empty where the file is missing or unreadable. */
    static String kernelMode() {
        try {
            String line = Files.readString(THP_MODE);
            int open = line.indexOf('[');
            int close = line.indexOf(']', open + 1);
            return open >= 0 && close > open ? line.substring(open + 1, close) : "";
        } catch (IOException | SecurityException e) {
            return "";
        }
    }
}
