package io.microw.demo;

import io.microw.analysis.SaeAttributionResult;
import io.microw.analysis.SaeAttributionResult.Ranking;
import io.microw.analysis.SaeFeatureAttribution;
import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.ConceptManipulations;
import io.microw.concepts.SaeHook;
import io.microw.concepts.SaeMode;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import io.microw.sae.Sae;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * SAE feature attribution on brown-gpt2 with the demo SAE ({@code transformer.h.2}, TopK, 1,024 latents, k 16; test
 * resource) for "The man in the car said that" and the metric logit(" he") − logit(" she"): the top latents, named
 * by a concept dictionary from Brown POS discovery (saved and loaded back), and the first-order estimate checked
 * against switching each top latent off (scaled to 0 at every position by {@link SaeHook#splice}, error kept).
 */
class SaeFeatureAttributionBrownTest {

    private static final String LAYER = "transformer.h.2";
    private static final int TOP = 8;

    @Test
    void topLatentsForALogitDifferenceWithConceptNames(@TempDir Path dir) throws Exception {
        try (LanguageModel lm = BrownGpt2.load();
             Sae sae = Sae.load(Path.of(getClass().getResource("sae-h2-topk1024/cfg.json").toURI()).getParent())) {
            ConceptDictionary named = ConceptDictionary.forLatents(sae.dSae());
            new BrownDiscovery(lm, sae, LAYER).run(BrownCorpus.load(), BrownCorpus.Split.VALIDATION, 300)
                    .discovery().proposeNames(named, 0.3);
            named.save(dir.resolve("concepts.json"));
            ConceptDictionary dictionary = ConceptDictionary.load(dir.resolve("concepts.json"), sae.dSae());

            long[][] ids = {lm.tokenizer().encode("The man in the car said that")};
            LogitMetric metric = LogitMetric.logitDiff(lm.tokenizer().encode(" he")[0],
                    lm.tokenizer().encode(" she")[0]);
            long start = System.nanoTime();
            SaeAttributionResult r = SaeFeatureAttribution.of(sae, LAYER).withConcepts(dictionary)
                    .attribute(lm, ids, null, metric);
            long nanos = System.nanoTime() - start;
            float plain = metricOf(lm, ids, metric, Interventions.none());
            System.out.printf(Locale.ROOT, "SaeFeatureAttributionBrownTest: metric %.4f (spliced) vs %.4f (plain); "
                            + "%d active (position, latent) cells, %d latents, %d named in the dictionary; %.1f ms%n",
                    r.metric(), plain, r.entries().size(), r.totals().size(), dictionary.size(), nanos / 1e6);
            System.out.print(r.table(TOP, Ranking.MAGNITUDE));
            assertThat(r.metric()).as("the error term is kept").isCloseTo(plain, within(1e-4f));
            assertThat(r.entries()).hasSize(16 * ids[0].length); // TopK: k latents at every position

            List<SaeAttributionResult.Total> top = r.top(TOP);
            for (SaeAttributionResult.Total t : top) {
                assertThat(t.concept()).as("latent %d's concept", t.latent())
                        .isEqualTo(dictionary.get(t.latent()).map(ConceptDictionary.Concept::name));
            }
            assertThat(top).as("a top latent is named").anySatisfy(t -> assertThat(t.concept()).isPresent());

            double[] estimated = new double[TOP];
            double[] actual = new double[TOP];
            for (int i = 0; i < TOP; i++) {
                SaeAttributionResult.Total t = top.get(i);
                ConceptManipulations off = new ConceptManipulations(sae.dSae());
                off.scale(t.latent(), 0.0);
                estimated[i] = -t.attribution();
                actual[i] = metricOf(lm, ids, metric, SaeHook.splice(lm, LAYER, sae, SaeMode.STEER, off))
                        - plain;
                System.out.printf(Locale.ROOT, "  latent %4d off: metric change %+.4f, estimated %+.4f (%s)%n",
                        t.latent(), actual[i], estimated[i], t.concept().orElse("-"));
            }
            double correlation = pearson(estimated, actual);
            System.out.printf(Locale.ROOT, "SaeFeatureAttributionBrownTest: Pearson r %.3f between estimated and "
                    + "actual changes of the top %d latents switched off%n", correlation, TOP);
            assertThat(correlation).isGreaterThan(0.8);
            for (int i = 0; i < 3; i++) {
                assertThat(Math.signum(actual[i])).as("sign of the change for top latent %d", top.get(i).latent())
                        .isEqualTo(Math.signum(estimated[i]));
            }
        }
    }

    private static float metricOf(LanguageModel lm, long[][] ids, LogitMetric metric, Interventions interventions) {
        try (RunResult run = lm.inference().run(ids, null, interventions)) {
            return metric.apply(run.logits(), null);
        }
    }

    private static double pearson(double[] x, double[] y) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / y.length;
        }
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }
}
