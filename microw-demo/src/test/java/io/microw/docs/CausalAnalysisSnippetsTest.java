package io.microw.docs;

import ai.djl.ndarray.NDArray;
import io.microw.analysis.ActivationPatching;
import io.microw.analysis.DirectLogitAttribution;
import io.microw.analysis.LogitLens;
import io.microw.analysis.PatchingResult;
import io.microw.demo.BrownGpt2;
import io.microw.lm.ActivationCache;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The Java blocks of {@code docs/causal-analysis.md} (see {@link DocSnippetsTest} for the convention). */
class CausalAnalysisSnippetsTest {

    static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void runWithCacheAndInterventions() {
        // snippet:causal.cache
        try (RunResult run = lm.inference().run(List.of("The jury said it did not find any evidence"),
                Interventions.capture("blocks.*.hook_resid_post", "blocks.*.hook_resid_pre")
                        .and(Interventions.zeroAblate("blocks.1.hook_mlp_out")))) {
            ActivationCache cache = run.cache();
            NDArray post = cache.get("blocks.2.hook_resid_post");       // [1, seq, 256]
            NDArray all = cache.stack("blocks.*.hook_resid_post");      // [4, 1, seq, 256]
            NDArray stream = cache.accumulatedResid();                  // [5, 1, seq, 256]
            System.out.println(post.getShape() + " " + all.getShape() + " " + stream.getShape());
        }
        // end-snippet
        try (RunResult run = lm.inference().runWithCache(new long[][] {{5, 6, 7}}, null, "blocks.*.hook_resid_post")) {
            assertThat(run.cache().stack("blocks.*.hook_resid_post").getShape().getShape())
                    .containsExactly(4, 1, 3, 256);
        }
    }

    @Test
    void patchingLensAndAttribution() {
        // snippet:causal.patching
        long[] clean = lm.tokenizer().encode("The man said that the woman");
        long[] corrupt = clean.clone();
        corrupt[1] = lm.tokenizer().encode(" woman")[0];              // corrupt one token
        long[][] cleanIds = {clean};
        long[][] corruptIds = {corrupt};
        long a = lm.tokenizer().encode(" was")[0];
        long b = lm.tokenizer().encode(" had")[0];
        LogitMetric metric = LogitMetric.logitDiff(a, b);

        PatchingResult byPosition = ActivationPatching.defaults()
                .withProgress(done -> System.out.println(done + " cells"))
                .residPre(lm, cleanIds, corruptIds, metric);             // [4 layers][positions]
        PatchingResult byHead = ActivationPatching.attnHeads(lm, cleanIds, corruptIds, metric);
        LogitLens.Result lens = LogitLens.of(lm, cleanIds, 5, metric);  // per layer: top 5 tokens, metric
        DirectLogitAttribution.Result dla = DirectLogitAttribution.logitDiff(lm, cleanIds, a, b);
        System.out.println(byPosition.rowLabels() + " " + Arrays.deepToString(byPosition.values()));
        // end-snippet
        assertThat(byPosition.values()).hasNumberOfRows(4);
        assertThat(byHead.values()).hasNumberOfRows(4);
        assertThat((double) lens.metric()[4]).isCloseTo(byPosition.cleanMetric(), within(1e-3));
        assertThat(Arrays.stream(dla.values()).mapToDouble(v -> v[0]).sum())
                .isCloseTo(byPosition.cleanMetric(), within(1e-3));
        // Patching block 0's input at the corrupted position restores the clean run.
        assertThat((double) byPosition.values()[0][1]).isCloseTo(byPosition.cleanMetric(), within(1e-3));
    }

    @Test
    void pronounWalkthroughOnBrownGpt2() {
        // snippet:causal.pronoun
        long[][] clean = {lm.tokenizer().encode("The man in the car said that")};
        long[][] corrupt = {lm.tokenizer().encode("The woman in the car said that")};   // 7 tokens each
        long he = lm.tokenizer().encode(" he")[0];
        long she = lm.tokenizer().encode(" she")[0];
        LogitMetric heVsShe = LogitMetric.logitDiff(he, she);

        PatchingResult resid = ActivationPatching.residPre(lm, clean, corrupt, heVsShe);  // [4 layers][7 positions]
        PatchingResult heads = ActivationPatching.attnHeads(lm, clean, corrupt, heVsShe); // [4 layers][8 heads]
        LogitLens.Result cleanLens = LogitLens.of(lm, clean, 3, heVsShe);
        LogitLens.Result corruptLens = LogitLens.of(lm, corrupt, 3, heVsShe);
        System.out.printf("clean %.2f, corrupt %.2f%n", resid.cleanMetric(), resid.corruptMetric());
        for (int layer = 0; layer < 4; layer++) {
            System.out.printf("%s restored at ' man' %.2f, at ' that' %.2f; lens %.2f vs %.2f%n",
                    resid.rowLabels().get(layer), resid.restored(layer, 1), resid.restored(layer, 6),
                    cleanLens.metric()[layer], corruptLens.metric()[layer]);
        }
        // end-snippet
        // The numbers docs/causal-analysis.md states, so that the page cannot go stale: a clear preference for
        // " he" that the corruption reverses,
        assertThat(clean[0]).hasSize(7);
        assertThat(corrupt[0]).hasSize(7);
        assertThat(resid.cleanMetric()).isGreaterThan(2f);
        assertThat(resid.corruptMetric()).isLessThan(0f);
        near(resid.cleanMetric(), 2.85, "clean metric");
        near(resid.corruptMetric(), -0.89, "corrupted metric");
        // what patching the residual stream at ' man' and ' that' restores (nothing elsewhere),
        double[][] manThat = {{1.00, 0.00}, {0.82, 0.04}, {0.79, 0.07}, {0.42, 0.37}};
        for (int layer = 0; layer < 4; layer++) {
            near(resid.restored(layer, 1), manThat[layer][0], "restored at ' man', layer " + layer);
            near(resid.restored(layer, 6), manThat[layer][1], "restored at ' that', layer " + layer);
            for (int position : new int[] {0, 2, 3, 4, 5}) {
                assertThat(Math.abs(resid.restored(layer, position))).as("layer %d position %d", layer, position)
                        .isLessThan(0.05f);
            }
        }
        // the heads that matter (every other one restores less than 10%),
        int[][] movers = {{3, 0}, {2, 5}, {2, 0}};
        double[] moved = {0.31, 0.20, 0.12};
        boolean[][] mover = new boolean[4][8];
        for (int i = 0; i < movers.length; i++) {
            near(heads.restored(movers[i][0], movers[i][1]), moved[i], "head " + movers[i][0] + "." + movers[i][1]);
            mover[movers[i][0]][movers[i][1]] = true;
        }
        for (int layer = 0; layer < 4; layer++) {
            for (int head = 0; head < 8; head++) {
                if (!mover[layer][head]) {
                    assertThat(heads.restored(layer, head)).as("head %d.%d", layer, head).isLessThan(0.1f);
                }
            }
        }
        // the logit lens of both runs, layer by layer,
        double[] cleanByLayer = {3.25, 1.71, 1.52, 1.88, 2.85};
        double[] corruptByLayer = {3.25, 1.34, 0.89, -0.12, -0.89};
        for (int layer = 0; layer <= 4; layer++) {
            near(cleanLens.metric()[layer], cleanByLayer[layer], "clean lens, layer " + layer);
            near(corruptLens.metric()[layer], corruptByLayer[layer], "corrupted lens, layer " + layer);
        }
        assertThat(cleanLens.topTokens()[4][0][0]).as("clean top token").isEqualTo((int) he);
        assertThat(corruptLens.topTokens()[4][0][0]).as("corrupted top token").isEqualTo((int) she);
        // and the IOI prompt brown-gpt2 gets wrong: it prefers " John" more when John is the giver.
        long john = lm.tokenizer().encode(" John")[0];
        long mary = lm.tokenizer().encode(" Mary")[0];
        LogitMetric johnVsMary = LogitMetric.logitDiff(john, mary);
        near(metric("When John and Mary went to the store, Mary gave a book to", johnVsMary), 1.46, "IOI clean");
        near(metric("When John and Mary went to the store, John gave a book to", johnVsMary), 2.30, "IOI corrupted");
    }

    private static float metric(String prompt, LogitMetric metric) {
        try (RunResult run = lm.inference().run(new long[][] {lm.tokenizer().encode(prompt)}, null,
                Interventions.none())) {
            return metric.apply(run.logits(), null);
        }
    }

    /** A number stated (rounded to two decimals) in the docs. */
    private static void near(double actual, double stated, String what) {
        assertThat(actual).as(what).isCloseTo(stated, within(0.006));
    }
}
