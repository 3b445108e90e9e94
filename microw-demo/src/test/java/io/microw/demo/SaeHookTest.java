package io.microw.demo;

import ai.djl.ndarray.NDArray;
import io.microw.concepts.LatentContext;
import io.microw.steering.PositionScope;
import io.microw.concepts.TokenLatents;
import io.microw.demo.Floats.Tensor;
import io.microw.hooks.FunctionController;
import io.microw.hooks.HookException;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.sae.SaeMode;
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
            lm.attachSae(sae, "layer_0");
            sae.concepts().enableTextTracking(10);
            Tensor first;
            try (InferenceResult r = lm.inference().executeInference(TEXT)) {
                first = Tensor.of(r.logits());
            }
            // observing changes nothing
            assertThat(maxDiff(first, clean)).isLessThan(SAME);
            assertThat(lm.layers().detectors()).contains(sae);
            assertThat(lm.layers().controllers()).contains(sae);
            // the guide scales latent 42; scale one that fired so the change is visible here
            int latent = strongestLatent(sae.concepts().lastLatents().orElseThrow());
            sae.concepts().manipulateConcept(latent, 1.5);
            sae.concepts().manipulateConcept(42, 1.5);
            Tensor second;
            try (InferenceResult r = lm.inference().executeInference(TEXT)) {
                second = Tensor.of(r.logits());
            }
            assertThat(maxDiff(second, clean)).isGreaterThan(CHANGED);
            assertThat(sae.concepts().topTexts(latent)).isNotEmpty();
            assertThat(sae.concepts().topTexts(latent).get(0).text()).isEqualTo("Hello, world!");
            assertThat(lm.detachSae(sae)).isTrue();
            assertThat(sae.attachedLayer()).isEmpty();
        }
    }

    @Test
    void replaceModeOutputsTheReconstructionAndSteerAddsOnlyTheEdit() {
        List<String> one = List.of(TEXTS.get(0));
        try (TopKSae sae = new TopKSae(512, d, 8, 3)) {
            Tensor replacedByHand = withController(x -> sae.forward(x));
            lm.attachSae(sae, "layer_1");
            sae.concepts().setMode(SaeMode.REPLACE);
            assertThat(maxDiff(logits(lm, one), replacedByHand)).isLessThan(SAME);

            sae.concepts().setMode(null);
            lm.inference().executeInference(one).close();
            int latent = strongestLatent(sae.concepts().lastLatents().orElseThrow());
            lm.detachSae(sae);
            Tensor steeredByHand = withController(x -> {
                NDArray codes = sae.encode(x);
                NDArray edited = codes.duplicate();
                edited.set(new ai.djl.ndarray.index.NDIndex("..., {}", latent), codes.get("..., " + latent).mul(3f));
                return x.add(sae.decode(edited)).sub(sae.decode(codes));
            });
            lm.attachSae(sae, "layer_1");
            sae.concepts().manipulateConcept(latent, 3.0);
            assertThat(sae.concepts().effectiveMode()).isEqualTo(SaeMode.STEER);
            assertThat(maxDiff(logits(lm, one), steeredByHand)).isLessThan(1e-4);
        }
    }

    @Test
    void zeroScalingSilencesTheLatentInTheDecodedCodes() {
        try (TopKSae sae = new TopKSae(512, d, 8, 5)) {
            lm.attachSae(sae, "layer_2");
            lm.inference().executeInference(TEXTS).close();
            TokenLatents before = sae.concepts().lastLatents().orElseThrow();
            int latent = strongestLatent(before);
            sae.concepts().manipulateConcept(latent, 0.0);
            lm.inference().executeInference(TEXTS).close();
            TokenLatents edited = sae.concepts().lastEditedLatents().orElseThrow();
            TokenLatents actual = sae.concepts().lastLatents().orElseThrow();
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
            lm.attachSae(sae, "layer_1");
            lm.inference().executeInference(TEXTS).close();
            TokenLatents latents = sae.concepts().lastLatents().orElseThrow();
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
            lm.attachSae(sae, "layer_1");
            sae.concepts().enableTextTracking(5, 2, 3);
            lm.inference().executeInference(TEXTS).close();
            lm.inference().executeInference(List.of("He was here")).close();
            int checked = 0;
            for (int latent = 0; latent < 256; latent++) {
                List<LatentContext> top = sae.concepts().topTexts(latent);
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
            assertThat(sae.concepts().statistics().tokens()).isEqualTo(
                    TEXTS.stream().mapToInt(t -> lm.tokenizer().encode(t).length).sum() + 3);
            sae.concepts().resetTopTexts();
            assertThat(sae.concepts().statistics().tokens()).isZero();
        }
    }

    @Test
    void manipulationsRoundTripAndApplyOnlyInScope(@TempDir Path dir) {
        try (TopKSae sae = new TopKSae(512, d, 8, 13)) {
            Tensor clean = logits(lm, TEXTS);
            lm.attachSae(sae, "layer_0");
            sae.concepts().manipulateConcept(3, 2.0);
            sae.concepts().addToConcept(7, 0.5);
            sae.concepts().clampConcept(9, 1.0);
            sae.concepts().setPositionScope(PositionScope.GENERATED);
            // outside generation nothing is "generated": the output is untouched
            assertThat(maxDiff(logits(lm, TEXTS), clean)).isLessThan(SAME);
            Path file = dir.resolve("manipulations.json");
            sae.concepts().saveManipulations(file);
            sae.concepts().resetManipulations();
            assertThat(sae.concepts().manipulations().isEmpty()).isTrue();
            sae.concepts().loadManipulations(file);
            assertThat(sae.concepts().manipulations().scales()).containsEntry(3, 2.0f);
            assertThat(sae.concepts().manipulations().additions()).containsEntry(7, 0.5f);
            assertThat(sae.concepts().manipulations().clamps()).containsEntry(9, 1.0f);
            assertThat(sae.concepts().manipulations().scope()).isEqualTo(PositionScope.GENERATED);
            sae.concepts().setPositionScope(PositionScope.ALL);
            assertThat(maxDiff(logits(lm, TEXTS), clean)).isGreaterThan(CHANGED);
        }
    }

    @Test
    void badInputIsAClearError() {
        try (TopKSae wide = new TopKSae(64, d * 2, 4); TopKSae sae = new TopKSae(64, d, 4)) {
            assertThatThrownBy(() -> lm.attachSae(wide, "layer_0")).isInstanceOf(SaeException.class)
                    .hasMessageContaining("d_in=" + (d * 2)).hasMessageContaining("width " + d);
            assertThat(lm.layers().allHooks()).isEmpty();
            assertThatThrownBy(() -> sae.concepts().manipulateConcept(1, 2.0)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("not attached");
            lm.attachSae(sae, "layer_0");
            assertThatThrownBy(() -> sae.concepts().manipulateConcept(64, 2.0)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("latent index 64").hasMessageContaining("0..63");
            assertThatThrownBy(() -> sae.concepts().enableTextTracking(0)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("top_k >= 1");
            assertThatThrownBy(() -> sae.concepts().topTexts(0)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("text tracking is off");
            assertThatThrownBy(() -> sae.concepts().manipulateConcept(1, Double.NaN)).isInstanceOf(SaeException.class)
                    .hasMessageContaining("finite");
            assertThatThrownBy(() -> lm.layers().registerHook("layer_1", sae)).isInstanceOf(HookException.class);
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
