package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.microw.hooks.FunctionController;
import io.microw.testing.Compare;
import io.microw.testing.Fixture;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Per-call interventions and the activation cache on the tiny GPT-2 fixture (2 blocks, 4 heads, d 64), against
 * Hugging Face's tensors for its batch of two rows (the second right-padded).
 */
class InterventionsTest {

    private static final double TOLERANCE = 1e-4;
    private static Fixture fixture;
    private static LanguageModel lm;
    private static long[][] ids;
    private static long[][] mask;

    @BeforeAll
    static void load() {
        fixture = Fixture.open("gpt2");
        lm = LanguageModel.load(fixture.modelDir());
        ids = fixture.ids("input_ids");
        mask = fixture.ids("attention_mask");
    }

    @AfterAll
    static void close() {
        lm.close();
        fixture.close();
    }

    /** The fixture's ids with every token moved to another one: a different input of the same shape. */
    private static long[][] otherIds() {
        long[][] other = new long[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            other[i] = Arrays.stream(ids[i]).map(t -> (t * 7 + 11) % 1000).toArray();
        }
        return other;
    }

    @Test
    void runWithCacheCapturesGlobsAndAliasesAsHuggingFaceHasThem() {
        try (RunResult r = lm.inference().runWithCache(ids, mask, "blocks.*.hook_resid_post", "*.hook_attn_out",
                "transformer.h.0.mlp")) {
            ActivationCache cache = r.cache();
            assertThat(cache.names()).containsExactly("transformer.h.0.attn", "transformer.h.0.mlp",
                    "transformer.h.0.hook_resid_post", "transformer.h.1.attn", "transformer.h.1.hook_resid_post");
            assertThat(Compare.maxDiff(r.logits(), fixture.get("logits"), mask)).isLessThan(TOLERANCE);
            for (int l = 0; l < 2; l++) {
                assertThat(Compare.maxDiff(cache.get("blocks." + l + ".hook_resid_post"),
                        fixture.get("out/transformer.h." + l + "/0/0"), mask)).isLessThan(TOLERANCE);
                assertThat(Compare.maxDiff(cache.get("blocks." + l + ".hook_attn_out"),
                        fixture.get("out/transformer.h." + l + ".attn/0/0"), mask)).isLessThan(TOLERANCE);
            }
            assertThat(Compare.maxDiff(cache.get("blocks.0.hook_mlp_out"), fixture.get("out/transformer.h.0.mlp/0/0"),
                    mask)).isLessThan(TOLERANCE);
            NDArray stacked = cache.stack("blocks.*.hook_resid_post");
            assertThat(stacked.getShape()).isEqualTo(new Shape(2, 2, 12, 64));
            assertThat(Compare.maxDiff(stacked.get(1), fixture.get("out/transformer.h.1/0/0"), mask))
                    .isLessThan(TOLERANCE);
            assertThatThrownBy(() -> cache.get("blocks.1.hook_mlp_out")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blocks.1.hook_mlp_out").hasMessageContaining("not captured");
            assertThatThrownBy(() -> cache.stack("*.hook_z")).hasMessageContaining("did not capture");
        }
    }

    @Test
    void accumulatedAndDecomposedResidualStreamsMatchTheReference() {
        try (RunResult r = lm.inference().runWithCache(ids, mask, "blocks.*.hook_resid_pre",
                "blocks.1.hook_resid_post", "blocks.*.hook_attn_out", "blocks.*.hook_mlp_out")) {
            NDArray acc = r.cache().accumulatedResid();
            assertThat(acc.getShape()).isEqualTo(new Shape(3, 2, 12, 64));
            assertThat(Compare.maxDiff(acc.get(0), fixture.get("hidden_states/0"), mask)).isLessThan(TOLERANCE);
            assertThat(Compare.maxDiff(acc.get(1), fixture.get("hidden_states/1"), mask)).isLessThan(TOLERANCE);
            assertThat(Compare.maxDiff(acc.get(2), fixture.get("out/transformer.h.1/0/0"), mask)).isLessThan(TOLERANCE);

            NDArray parts = r.cache().decomposeResid();
            assertThat(parts.getShape()).isEqualTo(new Shape(5, 2, 12, 64));
            String[] expected = {"hidden_states/0", "out/transformer.h.0.attn/0/0", "out/transformer.h.0.mlp/0/0",
                    "out/transformer.h.1.attn/0/0", "out/transformer.h.1.mlp/0/0"};
            for (int i = 0; i < expected.length; i++) {
                assertThat(Compare.maxDiff(parts.get(i), fixture.get(expected[i]), mask)).as(expected[i])
                        .isLessThan(TOLERANCE);
            }
            assertThat(Compare.maxDiff(parts.sum(new int[] {0}), fixture.get("out/transformer.h.1/0/0"), mask))
                    .isLessThan(TOLERANCE);
        }
        try (RunResult r = lm.inference().runWithCache(ids, mask, "blocks.*.hook_resid_pre")) {
            assertThatThrownBy(() -> r.cache().accumulatedResid()).hasMessageContaining("blocks.1.hook_resid_post");
        }
    }

    @Test
    void patchingTheEmbeddingsOfAnotherRunReproducesThatRun() {
        try (RunResult clean = lm.inference().runWithCache(ids, mask, "blocks.0.hook_resid_pre", "*.hook_z");
             RunResult all = lm.inference().run(otherIds(), mask,
                     Interventions.patch("blocks.0.hook_resid_pre", clean.cache()));
             RunResult heads = lm.inference().run(otherIds(), mask,
                     Interventions.patchHeads("*.hook_z", clean.cache(), 0, 1, 2, 3))) {
            assertThat(Compare.maxDiff(all.logits(), fixture.get("logits"), mask)).isLessThan(TOLERANCE);
            // Layer 1's heads patched everywhere (and layer 0's): the last block's attention is the clean one,
            // but its MLP still reads the other run's residual stream, so the logits differ.
            assertThat(Compare.maxDiff(heads.logits(), fixture.get("logits"), mask)).isGreaterThan(1e-3);
        }
    }

    @Test
    void positionAndHeadPatchesReplaceOnlyTheirCells() {
        long[][] other = otherIds();
        try (RunResult clean = lm.inference().runWithCache(ids, mask, "blocks.1.hook_resid_post", "blocks.0.attn.hook_z");
             RunResult base = lm.inference().runWithCache(other, mask, "blocks.1.hook_resid_post", "blocks.0.attn.hook_z");
             RunResult atPos = lm.inference().run(other, mask,
                     Interventions.patch("blocks.1.hook_resid_post", clean.cache(), 3)
                             .and(Interventions.capture("blocks.1.hook_resid_post")));
             RunResult onHead = lm.inference().run(other, mask,
                     Interventions.patchHeads("blocks.0.attn.hook_z", clean.cache(), 2)
                             .and(Interventions.capture("blocks.0.attn.hook_z")))) {
            float[] patched = atPos.cache().get("blocks.1.hook_resid_post").toFloatArray();
            float[] from = clean.cache().get("blocks.1.hook_resid_post").toFloatArray();
            float[] kept = base.cache().get("blocks.1.hook_resid_post").toFloatArray();
            for (int b = 0; b < 2; b++) {
                for (int p = 0; p < 12; p++) {
                    float[] expected = p == 3 ? from : kept;
                    int at = (b * 12 + p) * 64;
                    assertThat(Arrays.copyOfRange(patched, at, at + 64)).as("row %d position %d", b, p)
                            .containsExactly(Arrays.copyOfRange(expected, at, at + 64));
                }
            }
            float[] z = onHead.cache().get("blocks.0.attn.hook_z").toFloatArray();
            float[] zClean = clean.cache().get("blocks.0.attn.hook_z").toFloatArray();
            float[] zBase = base.cache().get("blocks.0.attn.hook_z").toFloatArray();
            for (int cell = 0; cell < 2 * 12 * 4; cell++) {
                float[] expected = cell % 4 == 2 ? zClean : zBase;
                int at = cell * 16;
                assertThat(Arrays.copyOfRange(z, at, at + 16)).as("cell %d", cell)
                        .containsExactly(Arrays.copyOfRange(expected, at, at + 16));
            }
            // The logits at position 3 are the clean run's: nothing after the last block mixes positions.
            NDArray logits = atPos.logits();
            float[] expected = fixture.get("logits").values();
            float[] actual = logits.toFloatArray();
            for (int b = 0; b < 2; b++) {
                int at = (b * 12 + 3) * 1000;
                for (int v = 0; v < 1000; v++) {
                    assertThat((double) Math.abs(actual[at + v] - expected[at + v])).isLessThan(TOLERANCE);
                }
            }
        }
    }

    /**
     * The attention pattern is [batch, heads, query, key]: patching head 2 replaces axis 1's slice 2 only, as a
     * hand-written edit copying that slice does, and the logits follow.
     */
    @Test
    void patchingOneHeadsPatternReplacesOnlyThatHead() {
        String layer = "blocks.1.attn.hook_pattern";
        long[][] other = otherIds();
        try (RunResult clean = lm.inference().runWithCache(ids, mask, layer);
             RunResult base = lm.inference().runWithCache(other, mask, layer);
             RunResult patched = lm.inference().run(other, mask,
                     Interventions.patchHeads(layer, clean.cache(), 2).and(Interventions.capture(layer)));
             RunResult manual = lm.inference().run(other, mask, Interventions.edit(layer, x -> {
                 try (NDArray head = clean.cache().get(layer).get(new NDIndex(":, 2"))) {
                     x.set(new NDIndex(":, 2"), x.getManager().create(head.toFloatArray(), head.getShape()));
                 }
                 return x;
             }))) {
            assertThat(clean.cache().get(layer).getShape()).isEqualTo(new Shape(2, 4, 12, 12));
            float[] got = patched.cache().get(layer).toFloatArray();
            float[] from = clean.cache().get(layer).toFloatArray();
            float[] kept = base.cache().get(layer).toFloatArray();
            for (int rowHead = 0; rowHead < 2 * 4; rowHead++) {
                float[] expected = rowHead % 4 == 2 ? from : kept;
                int at = rowHead * 12 * 12;
                assertThat(Arrays.copyOfRange(got, at, at + 144)).as("row %d head %d", rowHead / 4, rowHead % 4)
                        .containsExactly(Arrays.copyOfRange(expected, at, at + 144));
            }
            assertThat(patched.logits().toFloatArray()).containsExactly(manual.logits().toFloatArray());
            assertThat(Compare.maxDiff(patched.logits(), fixture.get("logits"), mask)).isGreaterThan(1e-3);
        }
    }

    /**
     * A right-aligned patch from a run of another length: position p of the run takes the source's position at the
     * same distance from the end; a longer run keeps its first positions.
     */
    @Test
    void rightAlignedPatchesMatchRunsOfAnotherLengthOnTheirLastPositions() {
        String layer = "blocks.0.attn.hook_z";
        long[][] longRun = {ids[0]};
        long[][] shortRun = {Arrays.copyOfRange(otherIds()[0], 4, 12)};
        try (RunResult longCache = lm.inference().runWithCache(longRun, null, layer);
             RunResult shortCache = lm.inference().runWithCache(shortRun, null, layer);
             RunResult shortPatched = lm.inference().run(shortRun, null, Interventions.patchWhereRightAligned(layer,
                     longCache.cache(), (row, position, head) -> head == 1).and(Interventions.capture(layer)));
             RunResult longPatched = lm.inference().run(longRun, null, Interventions.patchWhereRightAligned(layer,
                     shortCache.cache(), (row, position, head) -> head == 3).and(Interventions.capture(layer)))) {
            float[] longZ = longCache.cache().get(layer).toFloatArray();
            float[] shortZ = shortCache.cache().get(layer).toFloatArray();
            float[] intoShort = shortPatched.cache().get(layer).toFloatArray();
            float[] intoLong = longPatched.cache().get(layer).toFloatArray();
            for (int p = 0; p < 12; p++) {
                for (int h = 0; h < 4; h++) {
                    int at = (p * 4 + h) * 16;
                    if (p >= 4) {
                        int atShort = ((p - 4) * 4 + h) * 16;
                        assertThat(Arrays.copyOfRange(intoShort, atShort, atShort + 16)).as("short p%d h%d", p - 4, h)
                                .containsExactly(Arrays.copyOfRange(h == 1 ? longZ : shortZ, h == 1 ? at : atShort,
                                        (h == 1 ? at : atShort) + 16));
                    }
                    boolean fromShort = h == 3 && p >= 4;
                    int atSource = fromShort ? ((p - 4) * 4 + h) * 16 : at;
                    assertThat(Arrays.copyOfRange(intoLong, at, at + 16)).as("long p%d h%d", p, h)
                            .containsExactly(Arrays.copyOfRange(fromShort ? shortZ : longZ, atSource, atSource + 16));
                }
            }
            String pattern = "blocks.0.attn.hook_pattern";
            try (RunResult longPattern = lm.inference().runWithCache(longRun, null, pattern)) {
                assertThatThrownBy(() -> lm.inference().run(shortRun, null, Interventions.patchWhereRightAligned(
                        pattern, longPattern.cache(), (row, position, head) -> true)))
                        .hasMessageContaining("12 positions").hasMessageContaining("has 8")
                        .hasMessageContaining("cannot be aligned");
            }
        }
    }

    @Test
    void editsAblationsAndInputEditsChangeWhatTheySay() {
        try (RunResult zeroHead = lm.inference().run(ids, mask, Interventions.editInput("lm_head", NDArray::zerosLike));
             RunResult ablated = lm.inference().run(ids, mask, Interventions.zeroAblate("blocks.0.hook_mlp_out")
                     .and(Interventions.capture("blocks.0.hook_mlp_out")));
             RunResult reference = lm.inference().runWithCache(new long[][] {ids[0]}, null, "blocks.0.hook_resid_post");
             RunResult meaned = lm.inference().run(ids, mask, Interventions.meanAblate("blocks.0.hook_resid_post",
                     reference.cache()).and(Interventions.capture("blocks.0.hook_resid_post")))) {
            // GPT-2's lm_head has no bias: zero inputs give zero logits.
            assertThat(zeroHead.logits().abs().max().getFloat()).isZero();
            assertThat(ablated.cache().get("blocks.0.hook_mlp_out").abs().max().getFloat()).isZero();
            // The mean over the 12 positions of the reference's block-0 output (row 0, unpadded), at every cell.
            assertThat(mask[0]).containsOnly(1L);
            float[] ref = fixture.get("out/transformer.h.0/0/0").values();
            float[] mean = new float[64];
            for (int cell = 0; cell < 12; cell++) {
                for (int d = 0; d < 64; d++) {
                    mean[d] += ref[cell * 64 + d] / 12f;
                }
            }
            float[] got = meaned.cache().get("blocks.0.hook_resid_post").toFloatArray();
            for (int cell = 0; cell < 24; cell++) {
                for (int d = 0; d < 64; d++) {
                    assertThat((double) Math.abs(got[cell * 64 + d] - mean[d])).isLessThan(TOLERANCE);
                }
            }
        }
    }

    @Test
    void registeredHooksRunFirstAndStayRegisteredAlone() {
        String layer = "blocks.0.hook_resid_post";
        RecordingDetector seen = new RecordingDetector("blocks.1.hook_resid_pre");
        String plusOne = lm.layers().registerHook(layer, new FunctionController(layer, x -> x.add(1)));
        String watch = lm.layers().registerHook("blocks.1.hook_resid_pre", seen);
        try (RunResult plain = lm.inference().runWithCache(ids, mask, layer);
             RunResult both = lm.inference().run(ids, mask, Interventions.capture(layer)
                     .and(Interventions.edit(layer, x -> x.mul(2))).and(Interventions.capture("blocks.1.hook_resid_pre")))) {
            float[] registered = plain.cache().get(layer).toFloatArray();
            float[] before = fixture.get("out/transformer.h.0/0/0").values();
            float[] after = both.cache().get("blocks.1.hook_resid_pre").toFloatArray();
            for (int i = 0; i < registered.length; i++) {
                if (mask[i / 64 / 12][i / 64 % 12] == 0) {
                    continue;
                }
                assertThat((double) Math.abs(registered[i] - (before[i] + 1))).isLessThan(TOLERANCE);
                assertThat((double) Math.abs(after[i] - 2 * (before[i] + 1))).isLessThan(2 * TOLERANCE);
            }
            assertThat(seen.calls).isEqualTo(2);
            assertThat(seen.outputs.get(0)).containsExactly(after);
            assertThat(lm.layers().allHooks()).hasSize(2);
        } finally {
            lm.layers().unregisterHook(plusOne);
            lm.layers().unregisterHook(watch);
        }
    }

    @Test
    void concurrentRunsWithDifferentInterventionsGiveWhatEachGivesAlone() throws Exception {
        int threads = 8;
        List<float[]> alone = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            alone.add(scaledRun(t));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int t = 0; t < threads; t++) {
                    int scale = t;
                    futures.add(pool.submit(() -> scaledRun(scale)));
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).get()).as("run %d", i).containsExactly(alone.get(i % threads));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static float[] scaledRun(int scale) {
        try (RunResult r = lm.inference().run(ids, mask,
                Interventions.edit("blocks.0.hook_resid_post", x -> x.mul(1 + scale * 0.25f)))) {
            return r.logits().toFloatArray();
        }
    }

    @Test
    void badInterventionsFailBeforeAnyForward() {
        RecordingDetector watch = new RecordingDetector("lm_head");
        String id = lm.layers().registerHook("lm_head", watch);
        long[][] shorter = {Arrays.copyOf(ids[0], 8)};
        try (RunResult clean = lm.inference().runWithCache(ids, mask, "blocks.*.hook_resid_pre", "*.hook_z");
             LanguageModel twin = LanguageModel.load(fixture.modelDir());
             RunResult foreign = twin.inference().runWithCache(ids, mask, "blocks.0.hook_resid_pre")) {
            int before = watch.calls;
            assertThatThrownBy(() -> lm.inference().runWithCache(ids, mask, "blocks.0.hook_resid_psot"))
                    .isInstanceOf(UnknownLayerException.class).hasMessageContaining("blocks.0.hook_resid_post");
            assertThatThrownBy(() -> lm.inference().runWithCache(ids, mask, "blocks.*.hook_nothing"))
                    .isInstanceOf(UnknownLayerException.class).hasMessageContaining("'blocks.*.hook_nothing'");
            assertThatThrownBy(() -> lm.inference().run(ids, mask,
                    Interventions.patch("blocks.0.hook_resid_pre", foreign.cache())))
                    .hasMessageContaining("another model");
            assertThatThrownBy(() -> lm.inference().run(shorter, null,
                    Interventions.patch("blocks.0.hook_resid_pre", clean.cache())))
                    .hasMessageContaining("12 positions").hasMessageContaining("has 8");
            assertThatThrownBy(() -> lm.inference().run(ids, mask,
                    Interventions.patch("blocks.0.hook_resid_pre", clean.cache(), 2, 12)))
                    .hasMessageContaining("position 12").hasMessageContaining("0..11");
            assertThatThrownBy(() -> lm.inference().run(ids, mask,
                    Interventions.patchHeads("blocks.1.attn.hook_z", clean.cache(), 4)))
                    .hasMessageContaining("head 4").hasMessageContaining("4 heads");
            assertThatThrownBy(() -> lm.inference().run(ids, mask,
                    Interventions.patchHeads("blocks.0.hook_resid_pre", clean.cache(), 0)))
                    .hasMessageContaining("hook_z");
            assertThatThrownBy(() -> lm.inference().run(ids, mask,
                    Interventions.patch("blocks.1.hook_mlp_out", clean.cache())))
                    .hasMessageContaining("not captured");
            assertThatThrownBy(() -> Interventions.patchHeads("blocks.1.attn.hook_z", clean.cache()))
                    .hasMessageContaining("no heads given");
            assertThat(watch.calls).as("forwards the registered detector saw").isEqualTo(before);
        } finally {
            lm.layers().unregisterHook(id);
        }
    }
}
