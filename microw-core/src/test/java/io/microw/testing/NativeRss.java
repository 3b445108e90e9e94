package io.microw.testing;

import javax.management.JMException;
import javax.management.ObjectName;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The process's resident memory outside the Java heap: the sum of {@code Rss} in {@code /proc/self/smaps} over every
 * mapping not inside the heap's reserved range (which the JVM reports through its {@code gcHeapInfo} command). Heap
 * pages touched for the first time do not count, so a native leak shows however the garbage collector uses the heap.
 */
public final class NativeRss {

    private static final Pattern HEAP_RANGE = Pattern.compile("\\[0x([0-9a-f]+), 0x([0-9a-f]+)\\)");
    private static final Pattern MAPPING = Pattern.compile("^([0-9a-f]+)-([0-9a-f]+) ");

    private NativeRss() {
    }

    /**
     * Resident bytes outside the Java heap, after a garbage collection.
     *
     * @return the bytes
     * @throws IOException when {@code /proc/self/smaps} cannot be read
     */
    public static long bytes() throws IOException {
        System.gc();
        long[] heap = heapRange();
        long total = 0;
        boolean inHeap = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            Matcher m = MAPPING.matcher(line);
            if (m.find()) {
                long start = Long.parseUnsignedLong(m.group(1), 16);
                inHeap = start >= heap[0] && start < heap[1];
            } else if (line.startsWith("Rss:") && !inHeap) {
                total += Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return total;
    }

    private static long[] heapRange() {
        try {
            Object info = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcHeapInfo",
                    new Object[] {null}, new String[] {String[].class.getName()});
            Matcher m = HEAP_RANGE.matcher(String.valueOf(info));
            if (!m.find()) {
                throw new IllegalStateException("no heap range in gcHeapInfo: " + info);
            }
            return new long[] {Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16)};
        } catch (JMException e) {
            throw new IllegalStateException("cannot read the heap's range: " + e, e);
        }
    }
}
