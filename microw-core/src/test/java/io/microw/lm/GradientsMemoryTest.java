package io.microw.lm;

import ai.djl.ndarray.NDManager;
import io.microw.hooks.FunctionController;
import io.microw.hooks.HookType;
import io.microw.nn.Linear;
import io.microw.testing.Fixture;
import io.microw.testing.MemoryBaseline;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 500 gradient calls (activation sites and a weight), without and with backward controllers, leave native memory
 * flat: no array piles up in the model's manager, the weight's gradient does not accumulate from call to call, and the
 * resident memory does not grow outside the Java heap.
 */
class GradientsMemoryTest {

    private static final int WARM_UP = 30;
    private static final int CALLS = 500;
    private static final long MAX_GROWTH_BYTES = 32L << 20;
    private static final String WEIGHT = "transformer.h.0.mlp.c_fc.weight";

    @Test
    void fiveHundredGradientCallsKeepNativeMemoryFlat() throws IOException {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            assertFlat(fixture, lm, Interventions.none());
        }
    }

    @Test
    void fiveHundredCallsWithBackwardControllersKeepNativeMemoryFlat() throws IOException {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            lm.layers().registerHook("blocks.0.hook_mlp_out", new FunctionController("blocks.0.hook_mlp_out",
                    HookType.BACKWARD, g -> g.clip(-1e-3f, 1e-3f)));
            assertFlat(fixture, lm, Interventions.editGradient("blocks.*.hook_resid_post", (g, call) -> g.mul(0.5f))
                    .and(Interventions.stopGradient("blocks.*.attn.hook_pattern")));
        }
    }

    private static void assertFlat(Fixture fixture, LanguageModel lm, Interventions iv) throws IOException {
        NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
        long[][] ids = fixture.ids("input_ids");
        long[][] mask = fixture.ids("attention_mask");
        Gradients gradients = lm.gradients().withParameters(WEIGHT);
        LogitMetric metric = LogitMetric.logitDiff(1, 2);
        float firstWeightGradient = 0;
        float lastWeightGradient = 0;
        MemoryBaseline baseline = null;
        for (int i = 0; i < CALLS; i++) {
            try (GradientResult g = gradients.of(ids, mask, iv, metric, "blocks.*.hook_resid_pre", "*.hook_z")) {
                lastWeightGradient = g.parameter(WEIGHT).abs().sum().getFloat();
                assertThat(g.get("blocks.1.hook_resid_pre").getShape().get(0)).isEqualTo(ids.length);
            }
            if (i == 0) {
                firstWeightGradient = lastWeightGradient;
            }
            if (i == WARM_UP - 1) {
                baseline = MemoryBaseline.take(modelManager);
            }
        }
        assertThat(lastWeightGradient).as("the weight's gradient on the last call (not accumulated)")
                .isEqualTo(firstWeightGradient);
        String runs = (CALLS - WARM_UP) + " calls" + (iv.isEmpty() ? "" : " with controllers");
        baseline.assertFlat("GradientsMemoryTest", runs, MAX_GROWTH_BYTES);
    }
}
