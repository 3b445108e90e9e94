package io.microw.analysis;

import ai.djl.ndarray.NDManager;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.nn.Linear;
import io.microw.testing.Fixture;
import io.microw.testing.MemoryBaseline;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 100 integrated-gradients calls (in two passes each, from a zero and from a token baseline) and 100 saliency calls,
 * after 20 of each to warm up, leave no array behind in the model's manager and do not grow the resident memory
 * outside the Java heap.
 */
class IntegratedGradientsMemoryTest {

    private static final int WARM_UP = 20;
    private static final int CALLS = 120;
    private static final long MAX_GROWTH_BYTES = 32L << 20;

    @Test
    void aHundredCallsKeepNativeMemoryFlat() throws IOException {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
            long[] ids = {5, 9, 2, 7, 11, 3};
            LogitMetric metric = LogitMetric.logitDiff(1, 2);
            IntegratedGradients ig = IntegratedGradients.defaults().withSteps(8).withRowsPerPass(4);
            MemoryBaseline baseline = null;
            for (int i = 0; i < CALLS; i++) {
                IntegratedGradients.Result r = (i % 2 == 0 ? ig : ig.withBaselineToken(0)).attribute(lm, ids, metric);
                assertThat(r.attributions()).hasSize(ids.length);
                assertThat(IntegratedGradients.saliency(lm, ids, metric).values()).hasSize(ids.length);
                if (i == WARM_UP - 1) {
                    baseline = MemoryBaseline.take(modelManager);
                }
            }
            baseline.assertFlat("IntegratedGradientsMemoryTest", (CALLS - WARM_UP) + " calls", MAX_GROWTH_BYTES);
        }
    }
}
