package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.microw.testing.Fixture;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The two shortcuts a patching sweep takes: starting the forward at a later block from another run's stream, and
 * computing the logits at the last position only. Each must give what the full forward gives.
 */
class ForwardShortcutsTest {

    private static final double TOLERANCE = 1e-5;

    private static double maxDiff(NDArray a, NDArray b) {
        assertThat(a.getShape()).isEqualTo(b.getShape());
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama"})
    void startingAtALaterBlockGivesTheFullForwardAndSkipsTheBlocksBefore(String arch) {
        try (Fixture fixture = Fixture.open(arch); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            long[][] ids = fixture.ids("input_ids");
            long[][] mask = fixture.ids("attention_mask");
            int layers = lm.config().numLayers();
            InferenceEngine engine = lm.inference();
            try (RunResult full = engine.runWithCache(ids, mask, "blocks.*.hook_resid_pre")) {
                for (int start = 0; start < layers; start++) {
                    try (RunResult late = engine.run(ids, mask, Interventions.startAt(start, full.cache()))) {
                        assertThat(maxDiff(late.logits(), full.logits())).as("start at block %d", start)
                                .isLessThan(TOLERANCE);
                    }
                }
                RecordingDetector firstAttention = new RecordingDetector("blocks.0.attn");
                String id = lm.layers().registerHook("blocks.0.attn", firstAttention);
                try (RunResult late = engine.run(ids, mask, Interventions.startAt(1, full.cache()))) {
                    assertThat(firstAttention.calls).as("block 0's attention in a run started at block 1").isZero();
                } finally {
                    lm.layers().unregisterHook(id);
                }
            }

            long[][] row = {ids[0]};
            long[][] copies = {ids[0], ids[0], ids[0]};
            try (RunResult one = engine.runWithCache(row, null, "blocks.*.hook_resid_pre");
                 RunResult three = engine.run(copies, null, Interventions.startAt(layers - 1, one.cache()))) {
                for (int r = 0; r < 3; r++) {
                    try (NDArray rowLogits = three.logits().get(new NDIndex("{}:{}", r, r + 1))) {
                        assertThat(maxDiff(rowLogits, one.logits())).as("row %d of a one-row source", r)
                                .isLessThan(TOLERANCE);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama"})
    void logitsAtTheLastPositionAreTheFullForwardsThere(String arch) {
        try (Fixture fixture = Fixture.open(arch); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            long[][] ids = {fixture.ids("input_ids")[0], fixture.ids("input_ids")[0].clone()};
            ids[1][2] = (ids[1][2] + 5) % lm.config().vocabSize();
            int seq = ids[0].length;
            try (RunResult full = lm.inference().run(ids, null, Interventions.none());
                 RunResult last = lm.inference().run(ids, null, Interventions.logitsAtLastPosition());
                 NDArray fullLast = full.logits().get(new NDIndex(":, {}:", seq - 1))) {
                assertThat(last.logits().getShape().getShape())
                        .containsExactly(2, 1, lm.config().vocabSize());
                assertThat(maxDiff(last.logits(), fullLast)).isLessThan(TOLERANCE);
                LogitMetric metric = LogitMetric.logitDiff(1, 2);
                assertThat((double) metric.apply(last.logits(), null))
                        .isCloseTo(metric.apply(full.logits(), null), org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2"})
    void badShortcutsAreRefusedBeforeAnyForward(String arch) {
        try (Fixture fixture = Fixture.open(arch); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            long[][] ids = fixture.ids("input_ids");
            long[][] mask = fixture.ids("attention_mask");
            long[][] shorter = {Arrays.copyOf(ids[0], 8)};
            InferenceEngine engine = lm.inference();
            RecordingDetector watch = new RecordingDetector("lm_head");
            String id = lm.layers().registerHook("lm_head", watch);
            try (RunResult source = engine.runWithCache(ids, mask, "blocks.*.hook_resid_pre");
                 RunResult noStream = engine.runWithCache(ids, mask, "blocks.*.hook_resid_post")) {
                int before = watch.calls;
                assertThatThrownBy(() -> Interventions.startAt(-1, source.cache())).hasMessageContaining("got -1");
                assertThatThrownBy(() -> engine.run(ids, mask, Interventions.startAt(5, source.cache())))
                        .hasMessageContaining("block 5").hasMessageContaining("blocks.5.hook_resid_pre");
                assertThatThrownBy(() -> engine.run(ids, mask, Interventions.startAt(1, noStream.cache())))
                        .hasMessageContaining("not captured");
                assertThatThrownBy(() -> engine.run(shorter, null, Interventions.startAt(1, source.cache())))
                        .hasMessageContaining("12 positions").hasMessageContaining("has 8");
                assertThat(watch.calls).as("forwards the registered detector saw").isEqualTo(before);
                assertThatThrownBy(() -> engine.run(ids, mask, Interventions.logitsAtLastPosition()))
                        .hasMessageContaining("padded");
            } finally {
                lm.layers().unregisterHook(id);
            }
        }
    }
}
