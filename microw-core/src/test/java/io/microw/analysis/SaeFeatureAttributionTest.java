package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import io.microw.concepts.ConceptDictionary;
import io.microw.lm.GradientResult;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import io.microw.sae.ReluSae;
import io.microw.sae.Sae;
import io.microw.sae.TopKSae;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * SAE feature attribution on the tiny GPT-2 fixture with small random SAEs, checked against quantities worked out
 * here without it: the latents' activations from a plain captured run encoded by the SAE, and their gradients as
 * {@code W_dec[j] · d metric / d layer output / input scale}, the layer's gradient taken by {@code lm.gradients()} on
 * the model without any splice.
 */
class SaeFeatureAttributionTest {

    private static final String LAYER = "blocks.0.hook_resid_post";
    private static final long[][] IDS = {{5, 9, 2, 7, 11, 3}, {8, 1, 4, 6, 0, 0}};
    private static final long[][] MASK = {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}};
    private static final LogitMetric METRIC = LogitMetric.logitDiff(1, 2);

    private static LanguageModel lm;
    private static int width;

    @BeforeAll
    static void load() {
        try (Fixture fixture = Fixture.open("gpt2")) {
            lm = LanguageModel.load(fixture.modelDir());
        }
        width = lm.config().hiddenSize();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void topKLatentGradientsAreDecoderRowsDottedWithTheLayerGradient() {
        try (Sae sae = new TopKSae(128, width, 8, 3L)) {
            checkAgainstIndependentGradients(sae);
        }
    }

    @Test
    void reluSaeWithAnInputScaleToo() {
        try (Sae sae = new ReluSae(96, width)) {
            sae.setInputScale(2.5f);
            checkAgainstIndependentGradients(sae);
        }
    }

    private static void checkAgainstIndependentGradients(Sae sae) {
        SaeAttributionResult r = SaeFeatureAttribution.of(sae, LAYER).attribute(lm, IDS, MASK, METRIC);

        float[] layerGradient;
        float unsplicedMetric;
        try (GradientResult g = lm.gradients().of(IDS, MASK, METRIC, LAYER)) {
            layerGradient = g.get(LAYER).toFloatArray();
            unsplicedMetric = g.value();
        }
        float[] codes;
        float plainMetric;
        try (RunResult run = lm.inference().run(IDS, MASK, Interventions.capture(LAYER))) {
            codes = sae.encode(run.cache().get(LAYER)).toFloatArray();
            plainMetric = METRIC.apply(run.logits(), MASK);
        }
        assertThat(r.metric()).as("metric with the SAE spliced in (error kept)").isCloseTo(plainMetric, within(1e-5f))
                .isCloseTo(unsplicedMetric, within(1e-5f));
        assertThat(r.layer()).isEqualTo("transformer.h.0.hook_resid_post");

        int latents = sae.dSae();
        int seq = IDS[0].length;
        float[] decoder = sae.parameter("W_dec");
        int expectedActive = 0;
        double largestGradient = 0;
        for (int row = 0; row < IDS.length; row++) {
            for (int pos = 0; pos < seq; pos++) {
                List<SaeAttributionResult.Entry> at = r.at(row, pos);
                int base = (row * seq + pos) * latents;
                int active = 0;
                for (int j = 0; j < latents; j++) {
                    active += codes[base + j] != 0 ? 1 : 0;
                }
                expectedActive += MASK[row][pos] != 0 ? active : 0;
                assertThat(at).as("active latents at row %d position %d", row, pos)
                        .hasSize(MASK[row][pos] != 0 ? active : 0);
                for (SaeAttributionResult.Entry e : at) {
                    double expected = 0;
                    for (int d = 0; d < width; d++) {
                        expected += decoder[e.latent() * width + d] * layerGradient[(row * seq + pos) * width + d];
                    }
                    expected /= sae.inputScale();
                    largestGradient = Math.max(largestGradient, Math.abs(expected));
                    assertThat(e.activation()).isCloseTo(codes[base + e.latent()], within(1e-5f));
                    assertThat((double) e.gradient()).as("d metric / d latent %d at (%d, %d)", e.latent(), row, pos)
                            .isCloseTo(expected, within(1e-5 + 1e-4 * Math.abs(expected)));
                    assertThat(e.attribution()).isCloseTo(e.activation() * e.gradient(), within(1e-6f));
                }
            }
        }
        assertThat(r.entries()).hasSize(expectedActive).isNotEmpty();
        assertThat(largestGradient).as("the metric depends on the latents").isGreaterThan(1e-4);
    }

    @Test
    void totalsSumEachLatentsAttributionsAndTopRanksThemWithConceptNames() {
        try (Sae sae = new TopKSae(64, width, 6, 5L)) {
            SaeAttributionResult plain = SaeFeatureAttribution.of(sae, LAYER).attribute(lm, IDS, MASK, METRIC);
            Map<Integer, double[]> sums = new HashMap<>();
            for (SaeAttributionResult.Entry e : plain.entries()) {
                double[] s = sums.computeIfAbsent(e.latent(), l -> new double[2]);
                s[0] += e.attribution();
                s[1] += Math.abs(e.attribution());
            }
            assertThat(plain.totals()).hasSize(sums.size());
            for (SaeAttributionResult.Total t : plain.totals()) {
                assertThat((double) t.attribution()).isCloseTo(sums.get(t.latent())[0], within(1e-5));
                assertThat((double) t.absoluteAttribution()).isCloseTo(sums.get(t.latent())[1], within(1e-5));
                assertThat(t.concept()).isEmpty();
            }
            List<SaeAttributionResult.Total> top = plain.top(5);
            assertThat(top).hasSize(5);
            float smallestTop = Math.abs(top.get(4).attribution());
            assertThat(plain.totals()).filteredOn(t -> !top.contains(t))
                    .allSatisfy(t -> assertThat(Math.abs(t.attribution())).isLessThanOrEqualTo(smallestTop));
            assertThat(plain.top(100, SaeAttributionResult.Ranking.POSITIVE))
                    .allSatisfy(t -> assertThat(t.attribution()).isPositive());
            assertThat(plain.top(100, SaeAttributionResult.Ranking.NEGATIVE))
                    .allSatisfy(t -> assertThat(t.attribution()).isNegative());
            assertThatThrownBy(() -> plain.top(-1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got -1");

            int named = top.get(0).latent();
            ConceptDictionary dictionary = ConceptDictionary.forLatents(sae.dSae());
            dictionary.set(named, "pos:test", "a name for the test", 0.9);
            SaeAttributionResult withNames = SaeFeatureAttribution.of(sae, LAYER).withConcepts(dictionary)
                    .attribute(lm, IDS, MASK, METRIC);
            assertThat(withNames.top(1).get(0).latent()).isEqualTo(named);
            assertThat(withNames.top(1).get(0).concept()).contains("pos:test");
            assertThat(withNames.top(5).subList(1, 5)).allSatisfy(t -> assertThat(t.concept()).isEmpty());
            assertThat(withNames.table(3, SaeAttributionResult.Ranking.MAGNITUDE)).contains("pos:test")
                    .contains(String.valueOf(named));
        }
    }

    @Test
    void repeatedCallsGiveTheSameResultAndLeaveNoHook() {
        // the attribution leaves no hook behind and a second call sees a fresh leaf
        try (Sae sae = new TopKSae(64, width, 4, 9L)) {
            SaeFeatureAttribution attribution = SaeFeatureAttribution.of(sae, "transformer.h.1");
            SaeAttributionResult first = attribution.attribute(lm, IDS, MASK, METRIC);
            SaeAttributionResult second = attribution.attribute(lm, IDS, MASK, METRIC);
            assertThat(second.entries()).isEqualTo(first.entries());
            assertThat(lm.layers().allHooks()).isEmpty();
        }
    }
}
