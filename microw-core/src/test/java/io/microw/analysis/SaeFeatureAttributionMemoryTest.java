package io.microw.analysis;

import ai.djl.ndarray.NDManager;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.nn.Linear;
import io.microw.sae.TopKSae;
import io.microw.testing.Fixture;
import io.microw.testing.MemoryBaseline;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 100 SAE feature attribution calls, after 20 to warm up, leave no array behind in the model's manager and do not grow
 * the resident memory outside the Java heap.
 */
class SaeFeatureAttributionMemoryTest {

    private static final int WARM_UP = 20;
    private static final int CALLS = 120;
    private static final long MAX_GROWTH_BYTES = 32L << 20;

    @Test
    void aHundredCallsKeepNativeMemoryFlat() throws IOException {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir());
             TopKSae sae = new TopKSae(256, lm.config().hiddenSize(), 8, 1L)) {
            NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
            long[][] ids = {{5, 9, 2, 7, 11, 3}, {8, 1, 4, 6, 0, 0}};
            long[][] mask = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}};
            SaeFeatureAttribution attribution = SaeFeatureAttribution.of(sae, "blocks.1.hook_resid_pre");
            LogitMetric metric = LogitMetric.logitDiff(1, 2);
            MemoryBaseline baseline = null;
            for (int i = 0; i < CALLS; i++) {
                assertThat(attribution.attribute(lm, ids, mask, metric).entries()).hasSize(10 * 8);
                if (i == WARM_UP - 1) {
                    baseline = MemoryBaseline.take(modelManager);
                }
            }
            baseline.assertFlat("SaeFeatureAttributionMemoryTest", (CALLS - WARM_UP) + " calls", MAX_GROWTH_BYTES);
        }
    }
}
