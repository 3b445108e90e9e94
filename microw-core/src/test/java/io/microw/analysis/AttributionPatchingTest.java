package io.microw.analysis;

import io.microw.lm.GradientResult;
import io.microw.lm.Interventions;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import io.microw.testing.GradientCase;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Attribution patching against plain PyTorch's {@code atp/resid_pre} ({@code gradients/<arch>}) and, for the other
 * sites, against the same product worked out by hand from a clean cache and {@code lm.gradients()} on the corrupted
 * prompt.
 */
class AttributionPatchingTest {

    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void residPreMatchesPyTorch(String arch) throws Exception {
        try (GradientCase c = GradientCase.open(arch)) {
            PatchingResult r = AttributionPatching.residPre(c.lm(), c.ids("clean_ids"), c.ids("corrupt_ids"),
                    c.metric());
            double err = c.maxDiff(attributions(r), "atp/resid_pre");
            double metricErr = Math.max(Math.abs(r.cleanMetric() - c.value("metric/clean")),
                    Math.abs(r.corruptMetric() - c.value("metric/corrupt")));
            System.out.printf(Locale.ROOT, "AttributionPatchingTest %s: max error atp/resid_pre %.2e, metrics %.2e%n",
                    arch, err, metricErr);
            assertThat(err).isLessThan(TOLERANCE);
            assertThat(metricErr).isLessThan(TOLERANCE);
            assertThat(r.rowLabels()).containsExactly("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre");
            assertThat(r.columnLabels()).hasSize(8).startsWith("position 0");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama"})
    void otherSitesAreTheProductOfCacheDifferenceAndGradient(String arch) throws Exception {
        try (GradientCase c = GradientCase.open(arch)) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            for (String hook : List.of("hook_attn_out", "hook_mlp_out")) {
                PatchingResult r = hook.equals("hook_attn_out")
                        ? AttributionPatching.attnOut(c.lm(), clean, corrupt, c.metric())
                        : AttributionPatching.mlpOut(c.lm(), clean, corrupt, c.metric());
                assertThat(r.rowLabels()).containsExactly("blocks.0." + hook, "blocks.1." + hook);
                for (int l = 0; l < 2; l++) {
                    float[][] expected = byHand(c, "blocks." + l + "." + hook);
                    for (int p = 0; p < 8; p++) {
                        assertThat((double) r.values()[l][p] - r.corruptMetric()).as("%s %d position %d", hook, l, p)
                                .isCloseTo(expected[p][0], within(TOLERANCE));
                    }
                }
            }
            PatchingResult heads = AttributionPatching.attnHeads(c.lm(), clean, corrupt, c.metric());
            List<PatchingResult> byPosition = AttributionPatching.attnHeadsByPosition(c.lm(), clean, corrupt,
                    c.metric());
            assertThat(heads.columnLabels()).containsExactly("head 0", "head 1", "head 2", "head 3");
            assertThat(byPosition).hasSize(2);
            boolean nonZero = false;
            for (int l = 0; l < 2; l++) {
                float[][] expected = byHand(c, "blocks." + l + ".attn.hook_z");
                PatchingResult layer = byPosition.get(l);
                assertThat(layer.rowLabels()).startsWith("blocks." + l + ".attn.hook_z head 0");
                assertThat(layer.columnLabels()).hasSize(8);
                for (int h = 0; h < 4; h++) {
                    double sum = 0;
                    for (int p = 0; p < 8; p++) {
                        sum += expected[p][h];
                        assertThat((double) layer.values()[h][p] - layer.corruptMetric())
                                .as("layer %d head %d position %d", l, h, p).isCloseTo(expected[p][h], within(TOLERANCE));
                    }
                    assertThat((double) heads.values()[l][h] - heads.corruptMetric()).as("layer %d head %d", l, h)
                            .isCloseTo(sum, within(TOLERANCE));
                    nonZero |= Math.abs(sum) > 1e-3;
                }
            }
            assertThat(nonZero).as("some head matters").isTrue();
        }
    }

    /**
     * In a 2-layer model, dropping block 1's writes leaves block 1's input only the residual path to the output, and
     * dropping block 0's changes nothing there: GradDrop's block-1 row is |Δ · d metric/d resid_post 1| + |plain AtP|.
     */
    @Test
    void gradDropAveragesTheMagnitudesWithEachLayerDropped() throws Exception {
        try (GradientCase c = GradientCase.open("gpt2")) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            PatchingResult plain = AttributionPatching.residPre(c.lm(), clean, corrupt, c.metric());
            PatchingResult dropped = AttributionPatching.defaults().withGradDrop().residPre(c.lm(), clean, corrupt,
                    c.metric());
            assertThat(dropped.corruptMetric()).isEqualTo(plain.corruptMetric());
            assertThat(dropped.rowLabels()).isEqualTo(plain.rowLabels());
            String pre = "blocks.1.hook_resid_pre";
            String post = "blocks.1.hook_resid_post";
            try (RunResult cleanRun = c.lm().inference().runWithCache(clean, null, pre);
                 GradientResult g = c.lm().gradients().of(corrupt, null, Interventions.capture(pre), c.metric(),
                         post)) {
                float[] a = cleanRun.cache().get(pre).toFloatArray();
                float[] b = g.cache().get(pre).toFloatArray();
                float[] grad = g.get(post).toFloatArray();
                int width = a.length / 8;
                for (int p = 0; p < 8; p++) {
                    double residualOnly = 0;
                    for (int d = 0; d < width; d++) {
                        residualOnly += (a[p * width + d] - b[p * width + d]) * grad[p * width + d];
                    }
                    double expected = Math.abs(residualOnly) + Math.abs(plain.values()[1][p] - plain.corruptMetric());
                    assertThat((double) dropped.values()[1][p] - dropped.corruptMetric()).as("position %d", p)
                            .isCloseTo(expected, within(TOLERANCE));
                    assertThat(dropped.values()[0][p] - dropped.corruptMetric()).isGreaterThanOrEqualTo(0f);
                }
            }
        }
    }

    @Test
    void badInputIsRefusedBeforeAnyForward() throws Exception {
        try (GradientCase c = GradientCase.open("gpt2")) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            RecordingDetector watch = new RecordingDetector("lm_head");
            c.lm().layers().registerHook("lm_head", watch);
            assertThatThrownBy(() -> AttributionPatching.residPre(c.lm(), clean, new long[][] {
                    Arrays.copyOf(corrupt[0], 6)}, c.metric())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("8 tokens").hasMessageContaining("has 6");
            assertThatThrownBy(() -> AttributionPatching.attnHeads(c.lm(), new long[][] {clean[0], clean[0]}, corrupt,
                    c.metric())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 row(s)");
            LogitMetric plain = (logits, mask) -> 0f;
            assertThatThrownBy(() -> AttributionPatching.mlpOut(c.lm(), clean, corrupt, plain))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differentiable");
            assertThat(watch.calls).as("forwards").isZero();
        }
    }

    /** A result's attributions: each cell minus the corrupted metric. */
    private static float[][] attributions(PatchingResult r) {
        float[][] out = new float[r.values().length][];
        for (int row = 0; row < out.length; row++) {
            out[row] = r.values()[row].clone();
            for (int col = 0; col < out[row].length; col++) {
                out[row][col] -= r.corruptMetric();
            }
        }
        return out;
    }

    /** Per layer and head, Σ over positions and the last axis of (clean − corrupted) · gradient at a per-head hook. */
    static float[][] headSums(GradientCase c, String hook) {
        float[][] out = new float[2][];
        for (int l = 0; l < 2; l++) {
            float[][] cells = byHand(c, "blocks." + l + "." + hook);
            out[l] = new float[cells[0].length];
            for (float[] position : cells) {
                for (int h = 0; h < position.length; h++) {
                    out[l][h] += position[h];
                }
            }
        }
        return out;
    }

    /** Σ over the last axis of (clean − corrupted) · gradient at one site, on the heap: [positions][heads or 1]. */
    private static float[][] byHand(GradientCase c, String site) {
        try (RunResult cleanRun = c.lm().inference().runWithCache(c.ids("clean_ids"), null, site);
             GradientResult g = c.lm().gradients().of(c.ids("corrupt_ids"), null, Interventions.capture(site),
                     c.metric(), site)) {
            long[] shape = g.get(site).getShape().getShape();
            float[] a = cleanRun.cache().get(site).toFloatArray();
            float[] b = g.cache().get(site).toFloatArray();
            float[] grad = g.get(site).toFloatArray();
            int width = (int) shape[shape.length - 1];
            int heads = shape.length == 4 ? (int) shape[2] : 1;
            float[][] out = new float[(int) shape[1]][heads];
            for (int i = 0; i < a.length; i++) {
                int cell = i / width;
                out[cell / heads][cell % heads] += (a[i] - b[i]) * grad[i];
            }
            return out;
        }
    }
}
