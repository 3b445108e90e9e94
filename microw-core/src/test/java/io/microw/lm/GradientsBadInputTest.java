package io.microw.lm;

import ai.djl.ndarray.types.DataType;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Gradient calls given something wrong fail before or after the forward with a message naming what. */
class GradientsBadInputTest {

    private static final long[][] IDS = {{5, 9, 2, 7}};
    private static final LogitMetric METRIC = LogitMetric.logitDiff(1, 2);

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

    @Test
    void aSiteThatDoesNotExistIsRefusedWithTheClosestNames() {
        assertThatThrownBy(() -> lm.gradients().of(IDS, null, METRIC, "blocks.0.hook_resid_pr"))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("blocks.0.hook_resid_pr").hasMessageContaining("closest");
        assertThatThrownBy(() -> lm.gradients().of(IDS, null, METRIC, "blocks.*.hook_nothing"))
                .isInstanceOf(UnknownLayerException.class).hasMessageContaining("matches no layer");
        assertThatThrownBy(() -> lm.gradients().of(IDS, null, METRIC))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no gradient asked for");
    }

    @Test
    void aWeightThatDoesNotExistIsRefusedWithTheClosestNames() {
        assertThatThrownBy(() -> lm.gradients().withParameters("transformer.h.0.mlp.c_fc.weigth"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("transformer.h.0.mlp.c_fc.weight");
    }

    @Test
    void aSiteTheMetricDoesNotDependOnIsReportedNotReturnedAsZeros() {
        String cut = "transformer.h.1.mlp.c_proj";
        try (GradientResult g = lm.gradients().of(IDS, null, Interventions.zeroAblate("blocks.1.hook_mlp_out"), METRIC,
                cut, "blocks.1.hook_resid_pre")) {
            assertThat(g.dependsOn(cut)).isFalse();
            assertThat(g.dependsOn("blocks.1.hook_resid_pre")).isTrue();
            assertThatThrownBy(() -> g.get(cut)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("does not depend on '" + cut + "'");
            assertThatThrownBy(() -> g.get("blocks.0.hook_resid_pre")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("was not asked for");
        }
    }

    @Test
    void aMetricWithoutATensorFormOrNotAScalarIsRefused() {
        LogitMetric plain = (logits, mask) -> 1f;
        assertThatThrownBy(() -> lm.gradients().of(IDS, null, plain, "blocks.0.hook_resid_pre"))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("LogitMetric.differentiable");
        LogitMetric vector = LogitMetric.differentiable((logits, mask) -> logits.get("0, -1, :3"));
        assertThatThrownBy(() -> lm.gradients().of(IDS, null, vector, "blocks.0.hook_resid_pre"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("single number")
                .hasMessageContaining("(3)");
    }

    @Test
    void aFloat16ModelIsRefused() {
        Gradients half = new Gradients(lm.layers(), lm.inference(), null, DataType.FLOAT16, null);
        assertThatThrownBy(() -> half.of(IDS, null, METRIC, "blocks.0.hook_resid_pre"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("float32")
                .hasMessageContaining("float16");
    }

    @Test
    void theModelStaysUsableAndGradientFreeAfterAFailedCall() {
        LogitMetric plain = (logits, mask) -> 1f;
        assertThatThrownBy(() -> lm.gradients().withParameters("transformer.wte.weight")
                .of(IDS, null, plain, "blocks.0.hook_resid_pre")).isInstanceOf(UnsupportedOperationException.class);
        try (InferenceResult r = lm.inference().forward(IDS, null);
             GradientResult g = lm.gradients().of(IDS, null, METRIC, "blocks.0.hook_resid_pre")) {
            assertThat(r.logits().getShape().get(1)).isEqualTo(4);
            assertThat(g.dependsOn("blocks.0.hook_resid_pre")).isTrue();
        }
    }
}
