package io.microw.analysis;

import ai.djl.ndarray.NDManager;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.nn.Linear;
import io.microw.testing.Fixture;
import io.microw.testing.NativeRss;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 1,000 patching sweeps, after 200 to warm up (each: a clean run with a cache, a corrupted run, batches of patched
 * copies), leave native memory flat: no array piles up in the model's manager and the process's resident memory
 * outside the Java heap does not grow (the median of the last five samples, one per 50 sweeps, against that of the
 * first five: single samples move by ±15 MB as the allocator and the JIT work).
 */
class ActivationPatchingMemoryTest {

    private static final int WARM_UP = 200;
    private static final int SWEEPS = 1200;
    private static final int SAMPLE_EVERY = 50;
    private static final int SAMPLES_COMPARED = 5;
    private static final long MAX_GROWTH_BYTES = 32L << 20;

    private static long median(List<Long> samples) {
        List<Long> sorted = samples.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    @Test
    void aThousandSweepsKeepNativeMemoryFlat() throws IOException {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
            long[][] clean = {fixture.ids("input_ids")[0]};
            long[][] corrupt = {clean[0].clone()};
            corrupt[0][3] = (corrupt[0][3] + 1) % 1000;
            PatchingSweeps patching = ActivationPatching.defaults();
            LogitMetric metric = LogitMetric.logitDiff(1, 2);
            List<Long> samples = new ArrayList<>();
            int arraysAfterWarmUp = 0;
            for (int i = 0; i < SWEEPS; i++) {
                PatchingResult r = i % 2 == 0 ? patching.attnHeads(lm, clean, corrupt, metric)
                        : patching.residPre(lm, clean, corrupt, metric);
                assertThat(r.values()).hasNumberOfRows(2);
                if (i == WARM_UP - 1) {
                    arraysAfterWarmUp = modelManager.getManagedArrays().size();
                }
                if (i >= WARM_UP - 1 && (i + 1) % SAMPLE_EVERY == 0) {
                    samples.add(NativeRss.bytes());
                }
            }
            long growth = median(samples.subList(samples.size() - SAMPLES_COMPARED, samples.size()))
                    - median(samples.subList(0, SAMPLES_COMPARED));
            System.out.printf(Locale.ROOT, "ActivationPatchingMemoryTest: resident memory outside the Java heap grew "
                    + "%.1f MB over %d sweeps%n", growth / 1048576.0, SWEEPS - WARM_UP);
            assertThat(modelManager.getManagedArrays()).as("arrays in the model's manager").hasSize(arraysAfterWarmUp);
            assertThat(growth).as("growth of resident memory outside the Java heap, in bytes")
                    .isLessThan(MAX_GROWTH_BYTES);
        }
    }
}
