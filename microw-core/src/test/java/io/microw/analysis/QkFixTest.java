package io.microw.analysis;

import io.microw.lm.ActivationCache;
import io.microw.lm.GradientResult;
import io.microw.lm.Interventions;
import io.microw.lm.RunResult;
import io.microw.testing.GradientCase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * AtP*'s QK fix against brute force: for every query head and every single key (position and key head), a forward
 * with just that node patched gives the exact attention pattern, and Σ (patched − corrupted pattern) · d metric /
 * d pattern, summed over positions, must equal the sweep's cell. The plain sweeps of queries and keys are checked
 * against (clean − corrupted) · gradient worked out from a clean cache and {@code lm.gradients()}.
 */
class QkFixTest {

    private static final double TOLERANCE = 1e-5;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void queriesAndKeysMatchOneForwardPerNode(String arch) throws Exception {
        try (GradientCase c = GradientCase.open(arch)) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            AttributionSweeps fixed = AttributionPatching.defaults().withQkFix();
            PatchingResult queries = fixed.attnQueries(c.lm(), clean, corrupt, c.metric());
            PatchingResult keys = fixed.attnKeys(c.lm(), clean, corrupt, c.metric());
            PatchingResult plainQueries = AttributionPatching.attnQueries(c.lm(), clean, corrupt, c.metric());
            PatchingResult plainKeys = AttributionPatching.attnKeys(c.lm(), clean, corrupt, c.metric());
            assertThat(queries.rowLabels()).containsExactly("blocks.0.attn.hook_q", "blocks.1.attn.hook_q");
            assertThat(keys.rowLabels()).containsExactly("blocks.0.attn.hook_k", "blocks.1.attn.hook_k");
            double worst = 0;
            boolean nonZero = false;
            try (RunResult cleanRun = c.lm().inference().runWithCache(clean, null, "blocks.*.attn.hook_q",
                    "blocks.*.attn.hook_k")) {
                ActivationCache cleanCache = cleanRun.cache();
                for (int l = 0; l < 2; l++) {
                    BruteForce exact = new BruteForce(c, l, cleanCache);
                    for (int h = 0; h < queries.columnLabels().size(); h++) {
                        double expected = exact.query(h);
                        worst = Math.max(worst, Math.abs(queries.values()[l][h] - queries.corruptMetric() - expected));
                        assertThat((double) queries.values()[l][h] - queries.corruptMetric())
                                .as("%s layer %d query head %d", arch, l, h).isCloseTo(expected, within(TOLERANCE));
                        nonZero |= Math.abs(expected) > 1e-3;
                    }
                    for (int g = 0; g < keys.columnLabels().size(); g++) {
                        double expected = 0;
                        for (int s = 0; s < 8; s++) {
                            expected += exact.key(s, g);
                        }
                        worst = Math.max(worst, Math.abs(keys.values()[l][g] - keys.corruptMetric() - expected));
                        assertThat((double) keys.values()[l][g] - keys.corruptMetric())
                                .as("%s layer %d key head %d", arch, l, g).isCloseTo(expected, within(TOLERANCE));
                    }
                    exact.close();
                }
            }
            assertThat(nonZero).as("some query matters").isTrue();
            float[][] byHandQ = AttributionPatchingTest.headSums(c, "attn.hook_q");
            float[][] byHandK = AttributionPatchingTest.headSums(c, "attn.hook_k");
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < byHandQ[l].length; h++) {
                    assertThat((double) plainQueries.values()[l][h] - plainQueries.corruptMetric())
                            .isCloseTo(byHandQ[l][h], within(1e-4));
                }
                for (int g = 0; g < byHandK[l].length; g++) {
                    assertThat((double) plainKeys.values()[l][g] - plainKeys.corruptMetric())
                            .isCloseTo(byHandK[l][g], within(1e-4));
                }
            }
            System.out.printf(Locale.ROOT, "QkFixTest %s: worst difference from one forward per node %.2e%n", arch,
                    worst);
        }
    }

    /** One layer's corrupted pattern and its gradient, and a forward per patched node. */
    private static final class BruteForce implements AutoCloseable {
        private final GradientCase c;
        private final String queries;
        private final String keys;
        private final String pattern;
        private final ActivationCache clean;
        private final float[] corrupted;
        private final float[] gradient;
        private final int heads;
        private final int group;
        private final RunResult corruptRun;

        BruteForce(GradientCase c, int layer, ActivationCache clean) {
            this.c = c;
            this.clean = clean;
            this.queries = "blocks." + layer + ".attn.hook_q";
            this.keys = "blocks." + layer + ".attn.hook_k";
            this.pattern = "blocks." + layer + ".attn.hook_pattern";
            corruptRun = c.lm().inference().runWithCache(c.ids("corrupt_ids"), null, pattern, keys);
            corrupted = corruptRun.cache().get(pattern).toFloatArray();
            heads = (int) corruptRun.cache().get(pattern).getShape().get(1);
            group = heads / (int) corruptRun.cache().get(keys).getShape().get(2);
            try (GradientResult g = c.lm().gradients().of(c.ids("corrupt_ids"), null, c.metric(), pattern)) {
                gradient = g.get(pattern).toFloatArray();
            }
        }

        /** Σ over the head's cells of (pattern with the head's queries patched − corrupted) · gradient. */
        double query(int head) {
            return change(Interventions.patchHeads(queries, clean, head), h -> h == head);
        }

        /** The same with one key (position, key head) patched, over the query heads that read it. */
        double key(int position, int keyHead) {
            return change(Interventions.patchWhere(keys, clean, (row, p, h) -> p == position && h == keyHead),
                    h -> h / group == keyHead);
        }

        private double change(Interventions patch, java.util.function.IntPredicate heads) {
            try (RunResult r = c.lm().inference().run(c.ids("corrupt_ids"), null,
                    patch.and(Interventions.capture(pattern)))) {
                float[] patched = r.cache().get(pattern).toFloatArray();
                int cells = patched.length / this.heads;
                double sum = 0;
                for (int i = 0; i < patched.length; i++) {
                    if (heads.test(i / cells)) {
                        sum += ((double) patched[i] - corrupted[i]) * gradient[i];
                    }
                }
                return sum;
            }
        }

        @Override
        public void close() {
            corruptRun.close();
        }
    }
}
