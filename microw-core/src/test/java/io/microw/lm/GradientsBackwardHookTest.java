package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Registered BACKWARD detectors see the gradient at their layer's output in gradient calls, and only there; BACKWARD
 * controllers register beside forward hooks.
 */
class GradientsBackwardHookTest {

    private static final long[][] IDS = {{5, 9, 2, 7}, {3, 1, 4, 0}};
    private static final long[][] MASK = {{1, 1, 1, 1}, {1, 1, 1, 0}};
    private static final LogitMetric METRIC = LogitMetric.logitDiff(1, 2);

    /** Records the gradients it is shown, as heap arrays, with the mask of their batch. */
    private static final class GradientRecorder extends BaseHook implements Detector {
        final List<float[]> seen = new ArrayList<>();
        final List<long[]> masks = new ArrayList<>();

        GradientRecorder(String layer) {
            super(HookType.BACKWARD, layer);
        }

        @Override
        public void processActivations(HookCall call) {
            seen.add(call.activations().toFloatArray());
            masks.add(call.batch().attentionMask().toLongArray());
        }
    }

    @Test
    void aBackwardDetectorSeesTheGradientAtItsLayerAndPlainForwardsDoNotRunIt() {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            GradientRecorder asked = new GradientRecorder("blocks.1.hook_resid_pre");
            GradientRecorder unasked = new GradientRecorder("blocks.0.hook_mlp_out");
            lm.layers().registerHook("blocks.1.hook_resid_pre", asked);
            lm.layers().registerHook("blocks.0.hook_mlp_out", unasked);
            lm.inference().forward(IDS, MASK).close();
            assertThat(asked.seen).as("after a plain forward").isEmpty();
            float[] expected;
            float[] mlpOut;
            try (GradientResult g = lm.gradients().of(IDS, MASK, METRIC, "blocks.1.hook_resid_pre",
                    "blocks.0.hook_mlp_out")) {
                expected = g.get("blocks.1.hook_resid_pre").toFloatArray();
                mlpOut = g.get("blocks.0.hook_mlp_out").toFloatArray();
            }
            assertThat(asked.seen).hasSize(1);
            assertThat(asked.seen.get(0)).containsExactly(expected);
            assertThat(asked.masks.get(0)).containsExactly(1, 1, 1, 1, 1, 1, 1, 0);
            try (GradientResult g = lm.gradients().of(IDS, MASK, METRIC, "blocks.1.hook_resid_pre")) {
                assertThat(g.dependsOn("blocks.1.hook_resid_pre")).isTrue();
            }
            assertThat(unasked.seen).as("a layer not among the sites is tapped for its detector").hasSize(2);
            assertThat(unasked.seen.get(1)).containsExactly(mlpOut);
        }
    }

    @Test
    void aBackwardControllerSharesALayerWithForwardHooksNotWithBackwardDetectorsAndPlainForwardsSkipIt() {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            float[] before;
            try (InferenceResult r = lm.inference().forward(IDS, MASK)) {
                before = r.output().toFloatArray();
            }
            String layer = "blocks.0.hook_resid_post";
            lm.layers().registerHook(layer, new ClipController(layer));
            lm.layers().registerHook(layer, new io.microw.hooks.LayerActivationDetector(layer));
            assertThatThrownBy(() -> lm.layers().registerHook(layer, new GradientRecorder(layer)))
                    .isInstanceOf(HookException.class).hasMessageContaining("already has controller");
            try (InferenceResult r = lm.inference().forward(IDS, MASK)) {
                assertThat(r.output().toFloatArray()).containsExactly(before);
            }
        }
    }

    /** A gradient clipper. */
    private static final class ClipController extends BaseHook implements Controller {
        ClipController(String layer) {
            super(HookType.BACKWARD, layer);
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            return call.activations().clip(-1, 1);
        }
    }
}
