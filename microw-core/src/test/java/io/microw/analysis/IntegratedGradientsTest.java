package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Integrated gradients and saliency on the fixture models: completeness (the attributions sum to metric(input) −
 * metric(baseline) within 1%) from a zero baseline on GPT-2 and from a token baseline on every decoder family; the
 * metric at both ends against plain runs; steps in several passes giving what one pass gives; saliency against
 * central finite differences.
 */
class IntegratedGradientsTest {

    private static final long[] IDS = {5, 9, 2, 7, 11, 3};
    private static final LogitMetric METRIC = LogitMetric.logitDiff(1, 2);
    private static final long PAD = 0;

    private static LanguageModel load(String arch) {
        try (Fixture fixture = Fixture.open(arch)) {
            return LanguageModel.load(fixture.modelDir());
        }
    }

    /** Asserts completeness within 1% and prints the relative error. */
    private static void assertComplete(String what, IntegratedGradients.Result r) {
        float delta = r.metricAtInput() - r.metricAtBaseline();
        double error = Math.abs(r.convergenceDelta() / delta);
        System.out.printf(Locale.ROOT, "IntegratedGradientsTest %s: sum %.6f, metric difference %.6f, relative error "
                + "%.2e%n", what, r.sum(), delta, error);
        assertThat(Math.abs(delta)).as(what + ": a metric difference large enough to test").isGreaterThan(0.05f);
        assertThat(error).as(what + ": |Σ attributions − metric difference| / |metric difference|").isLessThan(0.01);
    }

    /** The metric of each row of a plain run with the given interventions. */
    private static float[] plain(LanguageModel lm, long[][] ids, Interventions interventions) {
        try (RunResult run = lm.inference().run(ids, null, interventions)) {
            return METRIC.perRow(run.logits(), null);
        }
    }

    @ParameterizedTest
    @CsvSource({"gpt2, 32", "llama, 32", "qwen2, 32", "gemma2, 64", "gpt_neox, 32", "phi3, 32"})
    void attributionsFromATokenBaselineSumToTheMetricsDifference(String arch, int steps) {
        try (LanguageModel lm = load(arch)) {
            IntegratedGradients.Result r = IntegratedGradients.defaults().withSteps(steps).withBaselineToken(PAD)
                    .attribute(lm, IDS, METRIC);
            assertComplete(arch + " from token " + PAD + ", " + steps + " steps", r);
            long[] baseline = new long[IDS.length];
            Arrays.fill(baseline, PAD);
            float[] ends = plain(lm, new long[][] {IDS, baseline}, Interventions.none());
            assertThat(r.metricAtInput()).isCloseTo(ends[0], within(1e-5f));
            assertThat(r.metricAtBaseline()).isCloseTo(ends[1], within(1e-5f));
            assertThat(r.attributions()).hasSize(IDS.length);
        }
    }

    @Test
    void attributionsFromAZeroBaselineSumToTheMetricsDifferenceWithPositionEmbeddings() {
        try (LanguageModel lm = load("gpt2")) {
            IntegratedGradients.Result r = IntegratedGradients.defaults().attribute(lm, IDS, METRIC);
            assertComplete("gpt2 from zero", r);
            float[] zeroed = plain(lm, new long[][] {IDS}, Interventions.zeroAblate("hook_embed"));
            assertThat(r.metricAtBaseline()).isCloseTo(zeroed[0], within(1e-5f));
        }
    }

    @Test
    void stepsInSeveralPassesGiveWhatOnePassGives() {
        try (LanguageModel lm = load("llama")) {
            IntegratedGradients ig = IntegratedGradients.defaults().withSteps(12).withBaselineToken(PAD);
            float[] one = ig.attribute(lm, IDS, METRIC).attributions();
            List<Integer> progress = new ArrayList<>();
            float[] passes = ig.withRowsPerPass(5).withProgress(progress::add).attribute(lm, IDS, METRIC)
                    .attributions();
            for (int i = 0; i < one.length; i++) {
                assertThat(passes[i]).as("token " + i).isCloseTo(one[i], within(1e-5f));
            }
            assertThat(progress).as("steps done after each pass").containsExactly(5, 10, 12);
        }
    }

    @Test
    void saliencyMatchesCentralFiniteDifferencesOfScalingEachTokensEmbedding() {
        try (LanguageModel lm = load("gpt2")) {
            IntegratedGradients.Saliency s = IntegratedGradients.saliency(lm, IDS, METRIC);
            float epsilon = 1e-2f;
            int seq = IDS.length;
            long[][] rows = new long[2 * seq][];
            Arrays.fill(rows, IDS);
            // row 2i scales token i's embedding by 1 + epsilon, row 2i + 1 by 1 − epsilon
            float[] scales = new float[2 * seq * seq];
            Arrays.fill(scales, 1f);
            for (int i = 0; i < seq; i++) {
                scales[2 * i * seq + i] = 1 + epsilon;
                scales[(2 * i + 1) * seq + i] = 1 - epsilon;
            }
            float[] values = plain(lm, rows, Interventions.edit("hook_embed", x -> {
                NDArray scale = x.getManager().create(scales).reshape(2 * seq, seq, 1);
                return x.mul(scale);
            }));
            assertThat(s.metric()).isCloseTo(plain(lm, new long[][] {IDS}, Interventions.none())[0], within(1e-5f));
            for (int i = 0; i < seq; i++) {
                float expected = (values[2 * i] - values[2 * i + 1]) / (2 * epsilon);
                assertThat(s.values()[i]).as("token " + i)
                        .isCloseTo(expected, within(1e-3f + 1e-2f * Math.abs(expected)));
            }
        }
    }
}
