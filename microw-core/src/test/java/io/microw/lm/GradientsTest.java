package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.testing.Fixture;
import io.microw.testing.GradientCase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Gradients against plain PyTorch ({@code gradients/<arch>/reference.safetensors}): d (logit[A] − logit[B]) at the
 * last position / d the residual stream, attention and MLP outputs and per-head results of every block, on a clean
 * and a corrupted prompt; d metric / d one weight; and a right-padded batch, compared at real positions only.
 */
class GradientsTest {

    private static final double ABSOLUTE = 1e-5;
    private static final double RELATIVE = 1e-4;

    /**
     * The largest error of a gradient against a reference, relative to the reference where it exceeds 1 (so
     * 1e-5 absolute near zero, 1e-4 relative beyond 10), at the positions {@code mask} keeps.
     */
    private static double error(GradientCase c, NDArray actual, String key, long[][] mask) {
        assertThat(actual.getShape().getShape()).as(key + " shape").isEqualTo(c.reference().info(key).shape());
        float[] got = actual.toFloatArray();
        float[] expected = c.reference().readFloats(key);
        int perPosition = mask == null ? 1 : got.length / (mask.length * mask[0].length);
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            int cell = i / perPosition;
            if (mask != null && mask[cell / mask[0].length][cell % mask[0].length] == 0) {
                continue;
            }
            double diff = Math.abs(got[i] - expected[i]);
            worst = Math.max(worst, diff / Math.max(1, Math.abs(expected[i]) * ABSOLUTE / RELATIVE));
        }
        return worst;
    }

    /** The largest {@link #error} over every block's {@code blocks.<l>.<hook>} against {@code <key>/<l>}. */
    private static double errorOverBlocks(GradientCase c, GradientResult g, String hook, String key, long[][] mask) {
        double worst = 0;
        for (int l = 0; l < c.lm().config().numLayers(); l++) {
            worst = Math.max(worst, error(c, g.get("blocks." + l + "." + hook), key + "/" + l, mask));
        }
        return worst;
    }


    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void activationAndWeightGradientsMatchPyTorch(String arch) throws Exception {
        try (GradientCase c = GradientCase.open(arch)) {
            String weight = c.reference().names().stream().filter(n -> n.startsWith("grad/clean/param/")).findFirst()
                    .orElseThrow().substring("grad/clean/param/".length());
            double worst = 0;
            try (GradientResult g = c.lm().gradients().withParameters(weight).of(c.ids("clean_ids"), null, c.metric(),
                    "blocks.*.hook_resid_pre", "blocks.*.hook_resid_post", "blocks.*.hook_attn_out",
                    "blocks.*.hook_mlp_out", "blocks.*.attn.hook_z")) {
                assertThat((double) g.value()).isCloseTo(c.reference().readFloats("metric/clean")[0],
                        within(1e-4));
                worst = Math.max(worst, errorOverBlocks(c, g, "hook_resid_pre", "grad/clean/resid_pre", null));
                worst = Math.max(worst, errorOverBlocks(c, g, "hook_resid_post", "grad/clean/resid_post", null));
                worst = Math.max(worst, errorOverBlocks(c, g, "hook_attn_out", "grad/clean/attn_out", null));
                worst = Math.max(worst, errorOverBlocks(c, g, "hook_mlp_out", "grad/clean/mlp_out", null));
                worst = Math.max(worst, errorOverBlocks(c, g, "attn.hook_z", "grad/clean/z", null));
                worst = Math.max(worst, error(c, g.parameter(weight), "grad/clean/param/" + weight, null));
            }
            try (GradientResult g = c.lm().gradients().of(c.ids("corrupt_ids"), null, c.metric(),
                    "blocks.*.hook_resid_pre")) {
                worst = Math.max(worst, errorOverBlocks(c, g, "hook_resid_pre", "grad/corrupt/resid_pre", null));
            }
            long[][] mask = c.ids("batch/attention_mask");
            try (GradientResult g = c.lm().gradients().of(c.ids("batch/input_ids"), mask, c.metric(),
                    "blocks.*.hook_resid_post")) {
                assertThat((double) g.value()).isCloseTo(c.reference().readFloats("batch/metric")[0],
                        within(1e-4));
                worst = Math.max(worst, errorOverBlocks(c, g, "hook_resid_post", "batch/grad/resid_post", mask));
            }
            System.out.printf(Locale.ROOT, "GradientsTest %s: max error %.3g%n", arch, worst);
            assertThat(worst).as(arch + ": largest gradient error (absolute, relative beyond 10)").isLessThan(ABSOLUTE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void gradientsFlowThroughAPatchedForward(String arch) throws Exception {
        try (GradientCase c = GradientCase.open(arch);
             RunResult clean = c.lm().inference().runWithCache(c.ids("clean_ids"), null, "blocks.0.hook_resid_pre")) {
            // the corrupted prompt with the clean first residual stream patched in computes the clean run from there
            Interventions patch = Interventions.patch("blocks.0.hook_resid_pre", clean.cache());
            double worst = 0;
            try (GradientResult g = c.lm().gradients().of(c.ids("corrupt_ids"), null, patch, c.metric(),
                    "blocks.*.hook_resid_pre")) {
                assertThat((double) g.value()).isCloseTo(c.reference().readFloats("metric/clean")[0],
                        within(1e-4));
                worst = Math.max(worst, errorOverBlocks(c, g, "hook_resid_pre", "grad/clean/resid_pre", null));
            }
            System.out.printf(Locale.ROOT, "GradientsTest %s patched: max error %.3g%n", arch, worst);
            assertThat(worst).as(arch + ": largest gradient error through the patched forward").isLessThan(ABSOLUTE);
        }
    }

    /** Every fixture family (soft-capping, parallel residual, encoders included) runs backward to its first block. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.microw.testing.Fixture#architectures")
    void gradientsReachTheFirstBlockOfEveryFamily(String arch) {
        try (Fixture fixture = Fixture.open(arch); LanguageModel lm = LanguageModel.load(fixture.modelDir());
             GradientResult g = lm.gradients().of(fixture.ids("input_ids"), fixture.ids("attention_mask"),
                     LogitMetric.logitDiff(1, 2), "blocks.0.hook_resid_pre", "blocks.*.attn.hook_z")) {
            assertThat(g.dependsOn("blocks.0.hook_resid_pre")).as(arch).isTrue();
            assertThat(g.get("blocks.0.attn.hook_z").getShape().dimension()).as(arch).isEqualTo(4);
        }
    }
}
