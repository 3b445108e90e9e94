package io.microw.lm;

import ai.djl.ndarray.NDManager;
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
 * 250 gradient calls (activation sites and a weight) leave native memory flat: no array piles up in the model's
 * manager, the weight's gradient does not accumulate from call to call, and the resident memory does not grow
 * beyond what the Java heap explains.
 */
class GradientsMemoryTest {

    private static final int WARM_UP = 30;
    private static final int CALLS = 250;
    private static final long MAX_GROWTH_BYTES = 32L << 20;
    private static final String WEIGHT = "transformer.h.0.mlp.c_fc.weight";

    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void twoHundredFiftyGradientCallsKeepNativeMemoryFlat() throws IOException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
            long[][] ids = fixture.ids("input_ids");
            long[][] mask = fixture.ids("attention_mask");
            Gradients gradients = lm.gradients().withParameters(WEIGHT);
            LogitMetric metric = LogitMetric.logitDiff(1, 2);
            float firstWeightGradient = 0;
            float lastWeightGradient = 0;
            long rssAfterWarmUp = 0;
            long heapAfterWarmUp = 0;
            int arraysAfterWarmUp = 0;
            for (int i = 0; i < CALLS; i++) {
                try (GradientResult g = gradients.of(ids, mask, metric, "blocks.*.hook_resid_pre", "*.hook_z")) {
                    lastWeightGradient = g.parameter(WEIGHT).abs().sum().getFloat();
                    assertThat(g.get("blocks.1.hook_resid_pre").getShape().get(0)).isEqualTo(ids.length);
                }
                if (i == 0) {
                    firstWeightGradient = lastWeightGradient;
                }
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
            System.out.printf(Locale.ROOT, "GradientsMemoryTest: RSS growth over %d calls %.1f MB (heap committed "
                    + "growth %.1f MB)%n", CALLS - WARM_UP, growth / 1048576.0, heapGrowth / 1048576.0);
            assertThat(lastWeightGradient).as("the weight's gradient on the last call (not accumulated)")
                    .isEqualTo(firstWeightGradient);
            assertThat(modelManager.getManagedArrays()).as("arrays in the model's manager").hasSize(arraysAfterWarmUp);
            assertThat(growth - Math.max(0, heapGrowth)).as("RSS growth beyond Java heap growth, in bytes")
                    .isLessThan(MAX_GROWTH_BYTES);
        }
    }
}
