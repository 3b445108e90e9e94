package io.microw.testing;

import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a long run is checked against once it has warmed up: the arrays in the model's manager and the resident memory
 * outside the Java heap ({@link NativeRss}). At the end, {@link #assertFlat} requires the same arrays and less growth
 * than the bound, and prints the growth.
 */
public final class MemoryBaseline {

    private final NDManager modelManager;
    private final int arrays;
    private final long rss;

    private MemoryBaseline(NDManager modelManager, int arrays, long rss) {
        this.modelManager = modelManager;
        this.arrays = arrays;
        this.rss = rss;
    }

    /**
     * Takes the baseline now.
     *
     * @param modelManager the model's manager, whose arrays must not pile up
     * @return the baseline
     * @throws IOException when {@code /proc/self/smaps} cannot be read
     */
    public static MemoryBaseline take(NDManager modelManager) throws IOException {
        return new MemoryBaseline(modelManager, modelManager.getManagedArrays().size(), NativeRss.bytes());
    }

    /**
     * Asserts that the model's manager holds as many arrays as at the baseline and that the resident memory outside
     * the heap grew by less than {@code maxGrowthBytes}; prints the growth as "{@code test}: ... over {@code runs}".
     *
     * @param test           the test's name, for the printed line
     * @param runs           what ran since the baseline, e.g. "300 generations"
     * @param maxGrowthBytes the most growth allowed
     * @throws IOException when {@code /proc/self/smaps} cannot be read
     */
    public void assertFlat(String test, String runs, long maxGrowthBytes) throws IOException {
        long growth = NativeRss.bytes() - rss;
        System.out.printf(Locale.ROOT, "%s: resident memory outside the Java heap grew %.1f MB over %s%n", test,
                growth / 1048576.0, runs);
        assertThat(modelManager.getManagedArrays()).as("arrays in the model's manager").hasSize(arrays);
        assertThat(growth).as("growth of resident memory outside the Java heap, in bytes").isLessThan(maxGrowthBytes);
    }
}
