package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.testing.Fixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A garbage collection between the forward and the backward pass changes no gradient: nothing the backward reads
 * lives in Java memory that the collector may reclaim (DJL's scalar operands, arrays made from Java arrays).
 */
class GradientsGarbageCollectionTest {

    private static final long[][] IDS = {{5, 9, 2, 7, 11}, {3, 1, 4, 1, 5}};
    private static final String SITE = "blocks.0.hook_resid_pre";

    private static float[][] gradients(LanguageModel lm, String weight, boolean collect) {
        LogitMetric diff = LogitMetric.logitDiff(1, 2);
        LogitMetric metric = LogitMetric.differentiable((logits, mask) -> {
            if (collect) {
                for (int i = 0; i < 3; i++) {
                    System.gc();
                }
            }
            return diff.tensor(logits, mask);
        });
        // a per-cell patch: its mask is an array made from Java memory that the backward reads
        Interventions patch = Interventions.edit("blocks.0.hook_mlp_out", NDArray::neg);
        try (RunResult source = lm.inference().runWithCache(IDS, null, "blocks.1.hook_resid_pre");
             GradientResult g = lm.gradients().withParameters(weight).of(IDS, null,
                     patch.and(Interventions.patchWhere("blocks.1.hook_resid_pre", source.cache(),
                             (row, position, head) -> position == 2)), metric, SITE)) {
            return new float[][] {g.get(SITE).toFloatArray(), g.parameter(weight).toFloatArray()};
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void aCollectionBetweenForwardAndBackwardChangesNothing(String arch) {
        String embedding = arch.equals("gpt2") ? "transformer.wte.weight" : "model.embed_tokens.weight";
        try (Fixture fixture = Fixture.open(arch); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            float[][] plain = gradients(lm, embedding, false);
            float[][] collected = gradients(lm, embedding, true);
            assertThat(collected[0]).as(arch + " site gradient").containsExactly(plain[0]);
            assertThat(collected[1]).as(arch + " embedding gradient").containsExactly(plain[1]);
        }
    }
}
