package io.microw.analysis;

import ai.djl.ndarray.NDManager;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.nn.Linear;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 300 patching sweeps (each: a clean run with a cache, a corrupted run, a batch of patched copies) leave native
 * memory flat: no array piles up in the model's manager and the process's resident memory does not grow beyond
 * what the Java heap explains.
 */
class ActivationPatchingMemoryTest {

    private static final int WARM_UP = 30;
    private static final int SWEEPS = 300;
    private static final long MAX_GROWTH_BYTES = 32L << 20;

    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void threeHundredSweepsKeepNativeMemoryFlat() throws IOException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
            long[][] clean = {fixture.ids("input_ids")[0]};
            long[][] corrupt = {clean[0].clone()};
            corrupt[0][3] = (corrupt[0][3] + 1) % 1000;
            PatchingSweeps patching = ActivationPatching.defaults();
            LogitMetric metric = LogitMetric.logitDiff(1, 2);
            long rssAfterWarmUp = 0;
            long heapAfterWarmUp = 0;
            int arraysAfterWarmUp = 0;
            for (int i = 0; i < SWEEPS; i++) {
                PatchingResult r = i % 2 == 0 ? patching.attnHeads(lm, clean, corrupt, metric)
                        : patching.residPre(lm, clean, corrupt, metric);
                assertThat(r.values()).hasNumberOfRows(2);
                if (i == WARM_UP - 1) {
                    System.gc();
                    rssAfterWarmUp = rss();
                    heapAfterWarmUp = memory.getHeapMemoryUsage().getCommitted();
                    arraysAfterWarmUp = modelManager.getManagedArrays().size();
                }
            }
            System.gc();
            long growth = rss() - rssAfterWarmUp;
            long heapGrowth = memory.getHeapMemoryUsage().getCommitted() - heapAfterWarmUp;
            System.out.printf(Locale.ROOT, "ActivationPatchingMemoryTest: RSS growth over %d sweeps %.1f MB (heap "
                    + "committed growth %.1f MB)%n", SWEEPS - WARM_UP, growth / 1048576.0, heapGrowth / 1048576.0);
            assertThat(modelManager.getManagedArrays()).as("arrays in the model's manager").hasSize(arraysAfterWarmUp);
            assertThat(growth - Math.max(0, heapGrowth)).as("RSS growth beyond Java heap growth, in bytes")
                    .isLessThan(MAX_GROWTH_BYTES);
        }
    }
}
