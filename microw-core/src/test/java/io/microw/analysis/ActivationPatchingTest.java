package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.microw.lm.Interventions;
import io.microw.lm.RunResult;
import io.microw.testing.GradientCase;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Denoising activation patching against the reference values of plain PyTorch ({@code gradients/<arch>}: a clean
 * and a corrupted prompt of 8 tokens differing at position 3, the metric logit[A] − logit[B] at the last position).
 */
class ActivationPatchingTest {

    private static final double TOLERANCE = 1e-4;


    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void residPreAndHeadPatchingMatchPyTorch(String arch) throws Exception {
        try (GradientCase c = GradientCase.open(arch)) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            PatchingResult heads = ActivationPatching.attnHeads(c.lm(), clean, corrupt, c.metric());
            long start = System.nanoTime();
            PatchingResult resid = ActivationPatching.residPre(c.lm(), clean, corrupt, c.metric());
            long batched = System.nanoTime() - start;
            start = System.nanoTime();
            PatchingResult oneByOne = ActivationPatching.defaults().withMaxBatch(1)
                    .residPre(c.lm(), clean, corrupt, c.metric());
            long single = System.nanoTime() - start;

            double residErr = c.maxDiff(resid.values(), "patch/resid_pre");
            double headErr = c.maxDiff(heads.values(), "patch/attn_head");
            double metricErr = Math.max(Math.abs(resid.cleanMetric() - c.value("metric/clean")),
                    Math.abs(resid.corruptMetric() - c.value("metric/corrupt")));
            System.out.printf(Locale.ROOT, "ActivationPatchingTest %s: max error resid_pre %.2e, attn_head %.2e, "
                            + "metrics %.2e; resid_pre sweep of %d cells batched %.1f ms, one forward per cell %.1f ms%n",
                    arch, residErr, headErr, metricErr, resid.values().length * resid.values()[0].length,
                    batched / 1e6, single / 1e6);
            assertThat(residErr).isLessThan(TOLERANCE);
            assertThat(headErr).isLessThan(TOLERANCE);
            assertThat(metricErr).isLessThan(TOLERANCE);
            assertThat(c.maxDiff(oneByOne.values(), "patch/resid_pre")).isLessThan(TOLERANCE);
            assertThat(resid.rowLabels()).containsExactly("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre");
            assertThat(resid.columnLabels()).hasSize(8).startsWith("position 0");
            assertThat(heads.columnLabels()).containsExactly("head 0", "head 1", "head 2", "head 3");
        }
    }

    /**
     * The prompts differ only at position 3, so patching any site before it changes nothing, and patching the last
     * block's output at the last position restores the clean metric exactly.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama"})
    void otherSitesFollowFromWhereThePromptsDiffer(String arch) throws Exception {
        try (GradientCase c = GradientCase.open(arch)) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            float cleanMetric = c.value("metric/clean");
            float corruptMetric = c.value("metric/corrupt");
            PatchingSweeps patching = ActivationPatching.defaults().withMaxBatch(5);
            List<PatchingResult> all = List.of(patching.residMid(c.lm(), clean, corrupt, c.metric()),
                    patching.residPost(c.lm(), clean, corrupt, c.metric()),
                    patching.attnOut(c.lm(), clean, corrupt, c.metric()),
                    patching.mlpOut(c.lm(), clean, corrupt, c.metric()));
            for (PatchingResult r : all) {
                for (int l = 0; l < 2; l++) {
                    for (int p = 0; p < 3; p++) {
                        assertThat((double) r.values()[l][p]).as("%s position %d", r.rowLabels().get(l), p)
                                .isCloseTo(corruptMetric, within(TOLERANCE));
                    }
                }
            }
            PatchingResult post = all.get(1);
            assertThat((double) post.values()[1][7]).isCloseTo(cleanMetric, within(TOLERANCE));
            assertThat((double) post.restored(1, 7)).isCloseTo(1, within(1e-3));

            List<PatchingResult> byPosition = patching.attnHeadsByPosition(c.lm(), clean, corrupt, c.metric());
            assertThat(byPosition).hasSize(2);
            for (PatchingResult layer : byPosition) {
                assertThat(layer.values()).hasNumberOfRows(4);
                for (float[] head : layer.values()) {
                    assertThat(head).hasSize(8);
                    for (int p = 0; p < 3; p++) {
                        assertThat((double) head[p]).isCloseTo(corruptMetric, within(TOLERANCE));
                    }
                }
            }
        }
    }

    /** The metric of the corrupted run with {@code slice} of a layer's output replaced by the clean run's {@code cleanSlice}. */
    private static float manualPatch(GradientCase c, long[][] clean, long[][] corrupt, String layer, NDIndex slice,
                                     NDIndex cleanSlice) {
        try (RunResult cleanRun = c.lm().inference().runWithCache(clean, null, layer);
             RunResult patched = c.lm().inference().run(corrupt, null, Interventions.edit(layer, x -> {
                 try (NDArray from = cleanRun.cache().get(layer).get(cleanSlice)) {
                     x.set(slice, x.getManager().create(from.toFloatArray(), from.getShape()));
                 }
                 return x;
             }))) {
            return c.metric().apply(patched.logits(), null);
        }
    }

    /** Each head's pattern patched alone gives what a hand-written edit of that head's slice gives. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama"})
    void patternPatchingMatchesAnEditOfOneHead(String arch) throws Exception {
        try (GradientCase c = GradientCase.open(arch)) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            PatchingResult r = ActivationPatching.defaults().withMaxBatch(3).attnPattern(c.lm(), clean, corrupt,
                    c.metric());
            assertThat(r.rowLabels()).containsExactly("blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern");
            assertThat(r.columnLabels()).containsExactly("head 0", "head 1", "head 2", "head 3");
            boolean changed = false;
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 4; h++) {
                    NDIndex head = new NDIndex(":, {}", h);
                    float expected = manualPatch(c, clean, corrupt, "blocks." + l + ".attn.hook_pattern", head, head);
                    assertThat((double) r.values()[l][h]).as("layer %d head %d", l, h)
                            .isCloseTo(expected, within(TOLERANCE));
                    changed |= Math.abs(expected - r.corruptMetric()) > 1e-3;
                }
            }
            assertThat(changed).as("some head's pattern matters").isTrue();
            PatchingResult site = PatchSite.fromId("attn-pattern").run(ActivationPatching.defaults(), c.lm(), clean,
                    corrupt, c.metric());
            assertThat(site.values()).isDeepEqualTo(ActivationPatching.attnPattern(c.lm(), clean, corrupt,
                    c.metric()).values());
            assertThat(PatchSite.ATTN_PATTERN.byPosition()).isFalse();
        }
    }

    /**
     * Head patching at all positions aligns prompts of different lengths on their last token: each cell is the
     * corrupted run with the head's last min(lengths) positions taken from the clean run's last ones.
     */
    @ParameterizedTest(name = "corrupt of {0} tokens")
    @ValueSource(ints = {6, 8})
    void headPatchingAlignsPromptsOfDifferentLengthsOnTheLastToken(int corruptLength) throws Exception {
        try (GradientCase c = GradientCase.open("gpt2")) {
            long[][] corrupt = {Arrays.copyOfRange(c.ids("corrupt_ids")[0], 8 - corruptLength, 8)};
            long[][] clean = corruptLength == 8 ? new long[][] {Arrays.copyOfRange(c.ids("clean_ids")[0], 3, 8)}
                                               : c.ids("clean_ids");
            int shared = Math.min(clean[0].length, corrupt[0].length);
            PatchingResult r = ActivationPatching.attnHeads(c.lm(), clean, corrupt, c.metric());
            try (RunResult cleanRun = c.lm().inference().run(clean, null, Interventions.none());
                 RunResult corruptRun = c.lm().inference().run(corrupt, null, Interventions.none())) {
                assertThat((double) r.cleanMetric()).isCloseTo(c.metric().apply(cleanRun.logits(), null),
                        within(TOLERANCE));
                assertThat((double) r.corruptMetric()).isCloseTo(c.metric().apply(corruptRun.logits(), null),
                        within(TOLERANCE));
            }
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 4; h++) {
                    float expected = manualPatch(c, clean, corrupt, "blocks." + l + ".attn.hook_z",
                            new NDIndex(":, {}:, {}", corrupt[0].length - shared, h),
                            new NDIndex(":, {}:, {}", clean[0].length - shared, h));
                    assertThat((double) r.values()[l][h]).as("layer %d head %d", l, h)
                            .isCloseTo(expected, within(TOLERANCE));
                }
            }
        }
    }

    @Test
    void progressCountsCellsAndBadPromptsAreRefusedByName() throws Exception {
        try (GradientCase c = GradientCase.open("gpt2")) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            List<Integer> done = new ArrayList<>();
            ActivationPatching.defaults().withMaxBatch(3).withProgress(done::add)
                    .residPre(c.lm(), clean, corrupt, c.metric());
            // the prompts differ at position 3 only: block 0's input differs there alone, block 1's from there on;
            // the 10 cells whose clean and corrupted values are identical need no forward
            assertThat(done).containsExactly(13, 16);

            long[][] shorter = {Arrays.copyOf(corrupt[0], 6)};
            PatchingSweeps sweeps = ActivationPatching.defaults();
            List<ThrowingCallable> byPosition = List.of(() -> sweeps.residPre(c.lm(), clean, shorter, c.metric()),
                    () -> sweeps.attnHeadsByPosition(c.lm(), clean, shorter, c.metric()),
                    () -> sweeps.attnPattern(c.lm(), clean, shorter, c.metric()));
            for (ThrowingCallable sweep : byPosition) {
                assertThatThrownBy(sweep).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("8 tokens")
                        .hasMessageContaining("has 6");
            }
            assertThatThrownBy(() -> ActivationPatching.defaults().attnHeads(c.lm(), new long[][] {clean[0], clean[0]},
                    corrupt, c.metric())).hasMessageContaining("clean").hasMessageContaining("2 row(s)");
            assertThatThrownBy(() -> ActivationPatching.defaults().withMaxBatch(0))
                    .hasMessageContaining("got 0");
        }
    }
}
