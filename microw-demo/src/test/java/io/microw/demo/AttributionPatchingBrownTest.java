package io.microw.demo;

import io.microw.analysis.ActivationPatching;
import io.microw.analysis.AttributionPatching;
import io.microw.analysis.AttributionSweeps;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.Pearson;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Attribution patching against exact activation patching on brown-gpt2: how well the first-order estimate ranks the
 * cells (Pearson correlation over every cell) and how much faster it is, for "The man in the car said that" against
 * "The woman in the car said that" with the metric logit(" he") − logit(" she").
 */
class AttributionPatchingBrownTest {

    /** Sweeps by each method: exact patching and attribution patching of the same site. */
    private record Site(String name, Sweep exact, Sweep estimate) {
    }

    /** One sweep of a site. */
    private interface Sweep {
        PatchingResult run(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric);
    }

    @Test
    void attributionCorrelatesWithExactPatching() {
        try (LanguageModel lm = BrownGpt2.load()) {
            Function<String, long[]> encode = text -> lm.tokenizer().encode(text);
            long[][] clean = {encode.apply("The man in the car said that")};
            long[][] corrupt = {encode.apply("The woman in the car said that")};
            assertThat(corrupt[0]).as("the prompts tokenize to equal lengths").hasSameSizeAs(clean[0]);
            LogitMetric metric = LogitMetric.logitDiff(encode.apply(" he")[0], encode.apply(" she")[0]);
            Site[] sites = {
                new Site("resid_pre", ActivationPatching::residPre, AttributionPatching::residPre),
                new Site("attn_out", ActivationPatching::attnOut, AttributionPatching::attnOut),
                new Site("mlp_out", ActivationPatching::mlpOut, AttributionPatching::mlpOut),
                new Site("heads", ActivationPatching::attnHeads, AttributionPatching::attnHeads)};
            for (Site site : sites) {
                site.exact().run(lm, clean, corrupt, metric);
                site.estimate().run(lm, clean, corrupt, metric);
                long start = System.nanoTime();
                PatchingResult exact = site.exact().run(lm, clean, corrupt, metric);
                long exactNanos = System.nanoTime() - start;
                start = System.nanoTime();
                PatchingResult estimate = site.estimate().run(lm, clean, corrupt, metric);
                long estimateNanos = System.nanoTime() - start;
                double r = Pearson.of(exact.values(), estimate.values());
                System.out.printf(Locale.ROOT, "AttributionPatchingBrownTest %s: Pearson r %.3f over %d cells "
                                + "(clean %.3f, corrupt %.3f); exact %.1f ms, attribution %.1f ms%n", site.name(), r,
                        exact.values().length * exact.values()[0].length, exact.cleanMetric(), exact.corruptMetric(),
                        exactNanos / 1e6, estimateNanos / 1e6);
                assertThat(estimate.cleanMetric()).isCloseTo(exact.cleanMetric(), within(1e-3f));
                assertThat(r).as(site.name() + " correlation").isGreaterThan(0.9);
            }
            PatchingResult exact = ActivationPatching.residPre(lm, clean, corrupt, metric);
            long start = System.nanoTime();
            PatchingResult gradDrop = AttributionPatching.defaults().withGradDrop().residPre(lm, clean, corrupt,
                    metric);
            double r = Pearson.of(effects(exact), effects(gradDrop));
            System.out.printf(Locale.ROOT, "AttributionPatchingBrownTest resid_pre GradDrop: Pearson r %.3f with "
                    + "|exact effect|; %.1f ms%n", r, (System.nanoTime() - start) / 1e6);
            assertThat(r).as("GradDrop correlation").isGreaterThan(0.8);
        }
    }

    /**
     * AtP*'s QK fix on brown-gpt2's queries and keys, against exact patching of each head's queries (each key head's
     * keys) at every position: the correlation and the mean absolute error of the plain and the fixed estimates.
     */
    @Test
    void qkFixOnQueriesAndKeys() {
        try (LanguageModel lm = BrownGpt2.load()) {
            Function<String, long[]> encode = text -> lm.tokenizer().encode(text);
            long[][] clean = {encode.apply("The man in the car said that")};
            long[][] corrupt = {encode.apply("The woman in the car said that")};
            LogitMetric metric = LogitMetric.logitDiff(encode.apply(" he")[0], encode.apply(" she")[0]);
            AttributionSweeps fixed = AttributionPatching.defaults().withQkFix();
            for (String hook : new String[] {"attn.hook_q", "attn.hook_k"}) {
                boolean queries = hook.equals("attn.hook_q");
                PatchingResult plain = queries ? AttributionPatching.attnQueries(lm, clean, corrupt, metric)
                        : AttributionPatching.attnKeys(lm, clean, corrupt, metric);
                long start = System.nanoTime();
                PatchingResult withFix = queries ? fixed.attnQueries(lm, clean, corrupt, metric)
                        : fixed.attnKeys(lm, clean, corrupt, metric);
                long fixNanos = System.nanoTime() - start;
                float[][] exact = exactHeads(lm, clean, corrupt, metric, hook, plain.values()[0].length);
                double plainR = Pearson.of(exact, plain.values());
                double fixR = Pearson.of(exact, withFix.values());
                double plainErr = meanAbsError(exact, plain.values());
                double fixErr = meanAbsError(exact, withFix.values());
                System.out.printf(Locale.ROOT, "AttributionPatchingBrownTest %s: plain AtP r %.3f, mean |error| %.4f;"
                        + " QK fix r %.3f, mean |error| %.4f (%.1f ms)%n", hook, plainR, plainErr, fixR, fixErr,
                        fixNanos / 1e6);
                assertThat(fixR).as(hook + " QK fix correlation").isGreaterThan(0.9);
                assertThat(fixErr).as(hook + " QK fix error").isLessThanOrEqualTo(plainErr);
            }
        }
    }

    /** The metric with one head's queries (or one key head's keys) patched at every position, per layer and head. */
    private static float[][] exactHeads(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
                                        String hook, int heads) {
        int layers = lm.config().numLayers();
        float[][] out = new float[layers][heads];
        try (RunResult cleanRun = lm.inference().runWithCache(clean, null, "blocks.*." + hook)) {
            for (int l = 0; l < layers; l++) {
                for (int h = 0; h < heads; h++) {
                    try (RunResult r = lm.inference().run(corrupt, null,
                            Interventions.patchHeads("blocks." + l + "." + hook, cleanRun.cache(), h))) {
                        out[l][h] = metric.apply(r.logits(), null);
                    }
                }
            }
        }
        return out;
    }

    private static double meanAbsError(float[][] x, float[][] y) {
        double sum = 0;
        int n = 0;
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[r].length; c++) {
                sum += Math.abs(x[r][c] - y[r][c]);
                n++;
            }
        }
        return sum / n;
    }

    /** |value − corrupted metric| per cell. */
    private static float[][] effects(PatchingResult result) {
        float[][] out = new float[result.values().length][];
        for (int row = 0; row < out.length; row++) {
            out[row] = new float[result.values()[row].length];
            for (int col = 0; col < out[row].length; col++) {
                out[row][col] = Math.abs(result.values()[row][col] - result.corruptMetric());
            }
        }
        return out;
    }
}
