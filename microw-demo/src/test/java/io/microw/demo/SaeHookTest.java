package io.microw.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.concepts.LatentContext;
import io.microw.concepts.SaeHook;
import io.microw.concepts.SaeMode;
import io.microw.steering.PositionScope;
import io.microw.concepts.TokenLatents;
import io.microw.demo.Floats.Tensor;
import io.microw.hooks.FunctionController;
import io.microw.hooks.HookException;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.sae.TopKSae;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.microw.demo.Floats.logits;
import static io.microw.demo.Floats.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The first section of mi-crow's advanced hooks guide ("SAE as both detector and controller") in Java, and the
 * SAE hook's modes, latents and manipulations, on brown-gpt2.
 */
class SaeHookTest {

    private static final double SAME = 1e-5;
    private static final double CHANGED = 1e-3;
    private static final List<String> TEXT = List.of("Hello, world!");
    private static final List<String> TEXTS = List.of("The jury said it did not find any evidence of fraud",
            "He was here", "A quiet morning in the city of Atlanta");

    private static LanguageModel lm;
    private static int d;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        d = lm.config().hiddenSize();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void noHooksLeft() {
        lm.layers().allHooks().forEach(h -> lm.layers().unregisterHook(h.id()));
    }

    @Test
    void hooksGuideFirstSection() {
        Tensor clean = logits(lm, TEXT);
        try (TopKSae sae = new TopKSae(512, d, 8)) {
            SaeHook hook = SaeHook.attach(lm, sae, "layer_0");
            hook.concepts().enableTextTracking(10);
            Tensor first;
            try (InferenceResult r = lm.inference().executeInference(TEXT)) {
                first = Tensor.of(r.logits());
            }
            // observing changes nothing
            assertThat(maxDiff(first, clean)).isLessThan(SAME);
            assertThat(lm.layers().detectors()).contains(hook);
            assertThat(lm.layers().controllers()).contains(hook);
            // the guide scales latent 42; scale one that fired so the change is visible here
            int latent = strongestLatent(hook.concepts().lastLatents().orElseThrow());
            hook.concepts().manipulateConcept(latent, 1.5);
            hook.concepts().manipulateConcept(42, 1.5);
            Tensor second;
            try (InferenceResult r = lm.inference().executeInference(TEXT)) {
                second = Tensor.of(r.logits());
            }
            assertThat(maxDiff(second, clean)).isGreaterThan(CHANGED);
            assertThat(hook.concepts().topTexts(latent)).isNotEmpty();
            assertThat(hook.concepts().topTexts(latent).get(0).text()).isEqualTo("Hello, world!");
            assertThat(hook.detach()).isTrue();
            assertThat(hook.attachedLayer()).isEmpty();
        }
    }

    @Test
    void replaceModeOutputsTheReconstructionAndSteerAddsOnlyTheEdit() {
        List<String> one = List.of(TEXTS.get(0));
        try (TopKSae sae = new TopKSae(512, d, 8, 3)) {
            Tensor replacedByHand = withController(x -> sae.forward(x));
            SaeHook hook = SaeHook.attach(lm, sae, "layer_1");
            hook.concepts().setMode(SaeMode.REPLACE);
            assertThat(maxDiff(logits(lm, one), replacedByHand)).isLessThan(SAME);

            hook.concepts().setMode(null);
            lm.inference().executeInference(one).close();
            int latent = strongestLatent(hook.concepts().lastLatents().orElseThrow());
            hook.detach();
            Tensor steeredByHand = withController(x -> {
                NDArray codes = sae.encode(x);
                NDArray edited = codes.duplicate();
                edited.set(new ai.djl.ndarray.index.NDIndex("..., {}", latent), codes.get("..., " + latent).mul(3f));
                return x.add(sae.decode(edited)).sub(sae.decode(codes));
            });
            hook.attachTo(lm, "layer_1");
            hook.concepts().manipulateConcept(latent, 3.0);
            assertThat(hook.concepts().effectiveMode()).isEqualTo(SaeMode.STEER);
            assertThat(maxDiff(logits(lm, one), steeredByHand)).isLessThan(1e-4);
        }
    }

    @Test
    void zeroScalingSilencesTheLatentInTheDecodedCodes() {
        try (TopKSae sae = new TopKSae(512, d, 8, 5)) {
            SaeHook hook = SaeHook.attach(lm, sae, "layer_2");
            lm.inference().executeInference(TEXTS).close();
            TokenLatents before = hook.concepts().lastLatents().orElseThrow();
            int latent = strongestLatent(before);
            hook.concepts().manipulateConcept(latent, 0.0);
            lm.inference().executeInference(TEXTS).close();
            TokenLatents edited = hook.concepts().lastEditedLatents().orElseThrow();
            TokenLatents actual = hook.concepts().lastLatents().orElseThrow();
            float maxBefore = 0;
            for (int b = 0; b < actual.rows(); b++) {
                for (int s = 0; s < actual.seqLength(); s++) {
                    assertThat(edited.value(b, s, latent)).isZero();
                    maxBefore = Math.max(maxBefore, actual.value(b, s, latent));
                }
            }
            assertThat(maxBefore).isPositive();
        }
    }

    @Test
    void latentsPerTokenAreTheSaesCodesWithTextsAndRealTokenFlags() {
        try (TopKSae sae = new TopKSae(512, d, 8, 7)) {
            SaeHook hook = SaeHook.attach(lm, sae, "layer_1");
            lm.inference().executeInference(TEXTS).close();
            TokenLatents latents = hook.concepts().lastLatents().orElseThrow();
            assertThat(latents.texts()).isEqualTo(TEXTS);
            assertThat(latents.rows()).isEqualTo(3);
            int realTokens = 0;
            for (int b = 0; b < latents.rows(); b++) {
                for (int s = 0; s < latents.seqLength(); s++) {
                    if (latents.counted(b, s)) {
                        realTokens++;
                        assertThat(latents.latents(b, s)).hasSizeLessThanOrEqualTo(8).doesNotHaveDuplicates();
                        for (float v : latents.values(b, s)) {
                            assertThat(v).isPositive();
                        }
                    }
                }
            }
            int expected = 0;
            for (String t : TEXTS) {
                expected += lm.tokenizer().encode(t).length;
            }
            assertThat(realTokens).isEqualTo(expected);
        }
    }

    @Test
    void textTrackingKeepsOneEntryPerTextWithTheTokenTheModelSaw() {
        try (TopKSae sae = new TopKSae(256, d, 16, 11)) {
            SaeHook hook = SaeHook.attach(lm, sae, "layer_1");
            hook.concepts().enableTextTracking(5, 2, 3);
            lm.inference().executeInference(TEXTS).close();
            lm.inference().executeInference(List.of("He was here")).close();
            int checked = 0;
            for (int latent = 0; latent < 256; latent++) {
                List<LatentContext> top = hook.concepts().topTexts(latent);
                assertThat(top).hasSizeLessThanOrEqualTo(5);
                Set<Long> ids = new HashSet<>();
                for (int i = 0; i < top.size(); i++) {
                    LatentContext c = top.get(i);
                    assertThat(ids.add(c.textId())).as("one entry per text").isTrue();
                    if (i > 0) {
                        assertThat(c.activation()).isLessThanOrEqualTo(top.get(i - 1).activation());
                    }
                    long[] ids2 = lm.tokenizer().encode(c.text());
                    assertThat(c.token()).isEqualTo(lm.tokenizer().tokenText(ids2[c.position()]));
                    assertThat(c.window().get(c.position() - c.windowStart())).isEqualTo(c.token());
                    checked++;
                }
            }
            assertThat(checked).isPositive();
            assertThat(hook.concepts().statistics().tokens()).isEqualTo(
                    TEXTS.stream().mapToInt(t -> lm.tokenizer().encode(t).length).sum() + 3);
            hook.concepts().resetTopTexts();
            assertThat(hook.concepts().statistics().tokens()).isZero();
        }
    }

    @Test
    void manipulationsRoundTripAndApplyOnlyInScope(@TempDir Path dir) {
        try (TopKSae sae = new TopKSae(512, d, 8, 13)) {
            Tensor clean = logits(lm, TEXTS);
            SaeHook hook = SaeHook.attach(lm, sae, "layer_0");
            hook.concepts().manipulateConcept(3, 2.0);
            hook.concepts().addToConcept(7, 0.5);
            hook.concepts().clampConcept(9, 1.0);
            hook.concepts().setPositionScope(PositionScope.GENERATED);
            // outside generation nothing is "generated": the output is untouched
            assertThat(maxDiff(logits(lm, TEXTS), clean)).isLessThan(SAME);
            Path file = dir.resolve("manipulations.json");
            hook.concepts().saveManipulations(file);
            hook.concepts().resetManipulations();
            assertThat(hook.concepts().manipulations().isEmpty()).isTrue();
            hook.concepts().loadManipulations(file);
            assertThat(hook.concepts().manipulations().scales()).containsEntry(3, 2.0f);
            assertThat(hook.concepts().manipulations().additions()).containsEntry(7, 0.5f);
            assertThat(hook.concepts().manipulations().clamps()).containsEntry(9, 1.0f);
            assertThat(hook.concepts().manipulations().scope()).isEqualTo(PositionScope.GENERATED);
            hook.concepts().setPositionScope(PositionScope.ALL);
            assertThat(maxDiff(logits(lm, TEXTS), clean)).isGreaterThan(CHANGED);
        }
    }

    @Test
    void badInputIsAClearError() {
        try (TopKSae wide = new TopKSae(64, d * 2, 4); TopKSae sae = new TopKSae(64, d, 4)) {
            assertThatThrownBy(() -> SaeHook.attach(lm, wide, "layer_0")).isInstanceOf(SaeException.class)
                    .hasMessageContaining("d_in=" + (d * 2)).hasMessageContaining("width " + d);
            assertThat(lm.layers().allHooks()).isEmpty();
            SaeHook hook = new SaeHook(sae);
            assertThatThrownBy(() -> hook.concepts().manipulateConcept(1, 2.0)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("not attached");
            hook.attachTo(lm, "layer_0");
            assertThatThrownBy(() -> hook.concepts().manipulateConcept(64, 2.0)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("latent index 64").hasMessageContaining("0..63");
            assertThatThrownBy(() -> hook.concepts().enableTextTracking(0)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("top_k >= 1");
            assertThatThrownBy(() -> hook.concepts().topTexts(0)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("text tracking is off");
            assertThatThrownBy(() -> hook.concepts().manipulateConcept(1, Double.NaN)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("finite");
            assertThatThrownBy(() -> lm.layers().registerHook("layer_1", hook)).isInstanceOf(HookException.class);
        }
    }

    @Test
    void closingTheHookDetachesItKeepsItsConceptStateAndLeavesTheSaeOpen() {
        try (TopKSae sae = new TopKSae(64, d, 4, 17); NDManager manager = NDManager.newBaseManager()) {
            SaeHook hook = SaeHook.attach(lm, sae, "layer_0");
            try (hook) {
                assertThat(hook.sae()).isSameAs(sae);
                assertThat(hook.attachedLayer()).contains(lm.layers().resolve("layer_0"));
                hook.concepts().manipulateConcept(5, 2.0);
            }
            assertThat(lm.layers().allHooks()).isEmpty();
            assertThat(hook.attachedLayer()).isEmpty();
            assertThat(hook.detach()).as("already detached").isFalse();
            assertThat(sae.encode(manager.zeros(new Shape(2, d))).getShape()).isEqualTo(new Shape(2, 64));
            hook.attachTo(lm, "layer_0");
            assertThatThrownBy(() -> hook.attachTo(lm, "layer_1")).isInstanceOf(HookException.class)
                    .hasMessageContaining("already attached").hasMessageContaining("layer_1");
            assertThat(lm.layers().allHooks()).containsExactly(hook);
            assertThat(hook.concepts().manipulations().scales()).containsEntry(5, 2.0f);
            assertThat(hook.concepts().effectiveMode()).isEqualTo(SaeMode.STEER);
        }
    }

    /** Logits of the first text with {@code f} applied to layer_1's output. */
    private static Tensor withController(java.util.function.UnaryOperator<NDArray> f) {
        String id = lm.layers().registerHook("layer_1", new FunctionController("layer_1", f));
        try {
            return logits(lm, List.of(TEXTS.get(0)));
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    private static int strongestLatent(TokenLatents latents) {
        int best = -1;
        float bestValue = 0;
        for (int b = 0; b < latents.rows(); b++) {
            for (int s = 0; s < latents.seqLength(); s++) {
                int[] l = latents.latents(b, s);
                float[] v = latents.values(b, s);
                for (int i = 0; i < l.length; i++) {
                    if (latents.counted(b, s) && v[i] > bestValue) {
                        bestValue = v[i];
                        best = l[i];
                    }
                }
            }
        }
        assertThat(best).as("some latent fired").isGreaterThanOrEqualTo(0);
        return best;
    }
}
