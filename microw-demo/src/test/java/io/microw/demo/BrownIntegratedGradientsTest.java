package io.microw.demo;

import io.microw.analysis.IntegratedGradients;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integrated gradients on brown-gpt2: for " he" against " she" after a Brown-style prompt, the per-token attributions
 * from a zero baseline and from the end-of-text token sum to the metric's difference within 1%.
 */
class BrownIntegratedGradientsTest {

    @Test
    void attributionsSumToTheMetricsDifferenceOnBrownGpt2() {
        try (LanguageModel lm = BrownGpt2.load()) {
            long[] ids = lm.tokenizer().encode("The jury said that the judge thought");
            long he = lm.tokenizer().encode(" he")[0];
            long she = lm.tokenizer().encode(" she")[0];
            LogitMetric metric = LogitMetric.logitDiff(he, she);
            long eos = lm.tokenizer().eosTokenId().orElseThrow();
            IntegratedGradients zero = IntegratedGradients.defaults();
            for (IntegratedGradients ig : new IntegratedGradients[] {zero, zero.withBaselineToken(eos)}) {
                IntegratedGradients.Result r = ig.attribute(lm, ids, metric);
                float delta = r.metricAtInput() - r.metricAtBaseline();
                double error = Math.abs(r.convergenceDelta() / delta);
                StringBuilder perToken = new StringBuilder();
                for (int i = 0; i < ids.length; i++) {
                    perToken.append(String.format(Locale.ROOT, " [%s] %.3f",
                            lm.tokenizer().decode(new long[] {ids[i]}, false), r.attributions()[i]));
                }
                System.out.printf(Locale.ROOT, "brown-gpt2 IG: metric difference %.4f, relative error %.2e:%s%n",
                        delta, error, perToken);
                assertThat(Math.abs(delta)).isGreaterThan(0.05f);
                assertThat(error).as("|Σ attributions − metric difference| / |metric difference|").isLessThan(0.01);
            }
        }
    }
}
