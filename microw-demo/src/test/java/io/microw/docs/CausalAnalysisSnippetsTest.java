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
}
