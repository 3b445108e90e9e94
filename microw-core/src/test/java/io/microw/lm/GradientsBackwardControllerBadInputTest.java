package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Backward controllers given or returning something wrong fail with a message naming the hook, the layer and what was
 * wrong; the model stays usable.
 */
class GradientsBackwardControllerBadInputTest {

    private static final long[][] IDS = {{5, 9, 2, 7}};
    private static final LogitMetric METRIC = LogitMetric.logitDiff(1, 2);
    private static final String LAYER = "blocks.0.hook_resid_post";
    private static final String CANONICAL = "transformer.h.0.hook_resid_post";

    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        try (Fixture fixture = Fixture.open("gpt2")) {
            lm = LanguageModel.load(fixture.modelDir());
        }
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void stillUsable() {
        lm.layers().allHooks().forEach(h -> lm.layers().unregisterHook(h.id()));
        try (GradientResult g = lm.gradients().of(IDS, null, METRIC, "blocks.0.hook_resid_pre")) {
            assertThat(g.dependsOn("blocks.0.hook_resid_pre")).isTrue();
        }
    }

    private static GradientResult withEdit(Interventions.GradientEdit edit) {
        return lm.gradients().of(IDS, null, Interventions.editGradient(LAYER, edit), METRIC, "blocks.0.hook_resid_pre");
    }

    @Test
    void aReplacementOfAnotherShapeIsRefusedNamingBothShapes() {
        assertThatThrownBy(() -> withEdit((g, call) -> g.get(":, :2")).close())
                .isInstanceOf(HookException.class).hasMessageContaining(CANONICAL)
                .hasMessageContaining("(1, 2, 64)").hasMessageContaining("(1, 4, 64)");
    }

    @Test
    void aReplacementWithNaNOrInfinityIsRefused() {
        assertThatThrownBy(() -> withEdit((g, call) -> g.mul(Float.NaN)).close())
                .isInstanceOf(HookException.class).hasMessageContaining(CANONICAL).hasMessageContaining("NaN");
        assertThatThrownBy(() -> withEdit((g, call) -> g.add(Float.POSITIVE_INFINITY)).close())
                .isInstanceOf(HookException.class).hasMessageContaining("infinite");
    }

    @Test
    void anUnknownLayerIsRefusedWithTheClosestNames() {
        assertThatThrownBy(() -> lm.gradients().of(IDS, null, Interventions.stopGradient("blocks.0.hook_resid_pst"),
                METRIC, "blocks.0.hook_resid_pre")).isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("blocks.0.hook_resid_post");
    }

    @Test
    void anEditThatThrowsBecomesAHookExceptionNamingItAndTheLayer() {
        assertThatThrownBy(() -> withEdit((g, call) -> {
            throw new IllegalStateException("broken edit");
        }).close()).isInstanceOf(HookException.class).hasMessageContaining("editGradient")
                .hasMessageContaining(CANONICAL).hasMessageContaining("BACKWARD").hasMessageContaining("broken edit");
    }

    @Test
    void aRegisteredControllerThatThrowsIsNamedByItsId() {
        lm.layers().registerHook(LAYER, new Throwing());
        assertThatThrownBy(() -> lm.gradients().of(IDS, null, METRIC, "blocks.0.hook_resid_pre").close())
                .isInstanceOf(HookException.class).hasMessageContaining("'clipper'")
                .hasMessageContaining(CANONICAL).hasMessageContaining("broken controller");
    }

    @Test
    void aPlainForwardWithGradientInterventionsIsRefused() {
        assertThatThrownBy(() -> lm.inference().run(IDS, null, Interventions.capture("blocks.0.hook_resid_pre")
                .and(Interventions.stopGradient("blocks.*.attn.hook_pattern"))).close())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks.*.attn.hook_pattern")
                .hasMessageContaining("plain forward").hasMessageContaining("lm.gradients()");
    }

    /** A registered backward controller that fails. */
    private static final class Throwing extends BaseHook implements Controller {
        Throwing() {
            super(HookType.BACKWARD, LAYER, "clipper");
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            throw new IllegalArgumentException("broken controller");
        }
    }
}
