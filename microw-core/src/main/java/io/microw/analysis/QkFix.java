package io.microw.analysis;

import ai.djl.ndarray.types.Shape;
import io.microw.lm.ActivationCache;
import io.microw.lm.GradientResult;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.RunResult;

/**
 * AtP*'s QK fix (Kramár et al. 2024) for attribution patching of attention queries and keys. A query or key reaches
 * the metric through a softmax, whose linear approximation fails when the softmax saturates. The fix computes the
 * attention pattern a patched query or key really gives, exactly, and linearises only from the pattern on:
 * a node's attribution is {@code Σ (patched pattern − corrupted pattern) · d metric / d pattern} over the pattern
 * cells it changes.
 *
 * <p>The patterns come from the model's own forward, so rotary positions, scaling, soft-capping and masks are the
 * model's. In each extra forward every layer's queries and keys are frozen at chosen runs' values, so a layer's
 * pattern depends on its own queries and keys only:
 * <ul>
 *   <li>queries from the clean run, keys from the corrupted run: row {@code t} of a head's pattern depends on the
 *       query at {@code t} only, so this one forward gives the exact pattern of every query node;</li>
 *   <li>keys from the clean run at odd positions (then at even ones), the rest corrupted: a row's scores at the
 *       kept positions are the corrupted run's, so the ratio of a patched cell to the row's largest kept cell gives
 *       that key's patched score relative to the corrupted row, and so the row with that one key patched.</li>
 * </ul>
 * Four forwards in all (the corrupted run and three patched ones), whatever the model's size.
 */
final class QkFix {

    private final float[][] corrupted;
    private final float[][] queriesPatched;
    private final float[][] oddKeysPatched;
    private final float[][] evenKeysPatched;
    private final int heads;
    private final int kvHeads;
    private final int seq;

    private QkFix(float[][] corrupted, float[][] queriesPatched, float[][] oddKeysPatched,
                  float[][] evenKeysPatched, int heads, int kvHeads, int seq) {
        this.corrupted = corrupted;
        this.queriesPatched = queriesPatched;
        this.oddKeysPatched = oddKeysPatched;
        this.evenKeysPatched = evenKeysPatched;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.seq = seq;
    }

    /**
     * Runs the corrupted prompt and the three patched forwards.
     *
     * @param lm      the model
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param clean   the clean run's cache, holding every layer's {@code attn.hook_q} and {@code attn.hook_k}
     * @return the patterns of every layer
     */
    static QkFix measure(LanguageModel lm, long[][] corrupt, ActivationCache clean) {
        int layers = lm.config().numLayers();
        String queries = "blocks.*.attn.hook_q";
        String keys = "blocks.*.attn.hook_k";
        String patterns = "blocks.*.attn.hook_pattern";
        try (RunResult c = lm.inference().run(corrupt, null, Interventions.capture(queries, keys, patterns))) {
            ActivationCache corrupted = c.cache();
            Shape pattern = corrupted.get("blocks.0.attn.hook_pattern").getShape();
            int kvHeads = (int) corrupted.get("blocks.0.attn.hook_k").getShape().get(2);
            Interventions freezeKeys = Interventions.patch(keys, corrupted);
            Interventions freezeQueries = Interventions.patch(queries, corrupted);
            float[][] q = patterns(lm, corrupt, layers, Interventions.patch(queries, clean).and(freezeKeys));
            float[][] odd = patterns(lm, corrupt, layers, freezeQueries.and(freezeKeys)
                    .and(Interventions.patchWhere(keys, clean, (row, position, head) -> position % 2 == 1)));
            float[][] even = patterns(lm, corrupt, layers, freezeQueries.and(freezeKeys)
                    .and(Interventions.patchWhere(keys, clean, (row, position, head) -> position % 2 == 0)));
            return new QkFix(read(corrupted, layers), q, odd, even, (int) pattern.get(1), kvHeads,
                    (int) pattern.get(2));
        }
    }

    /** Every layer's attention pattern in a forward of the corrupted prompt with the given freezes and patches. */
    private static float[][] patterns(LanguageModel lm, long[][] corrupt, int layers, Interventions patches) {
        try (RunResult r = lm.inference().run(corrupt, null,
                patches.and(Interventions.capture("blocks.*.attn.hook_pattern")))) {
            return read(r.cache(), layers);
        }
    }

    private static float[][] read(ActivationCache cache, int layers) {
        float[][] out = new float[layers][];
        for (int l = 0; l < layers; l++) {
            out[l] = cache.get("blocks." + l + ".attn.hook_pattern").toFloatArray();
        }
        return out;
    }

    /** The pattern sites whose gradients {@link #queries} and {@link #keys} read. */
    static String[] patternSites(int layers) {
        String[] names = new String[layers];
        for (int l = 0; l < layers; l++) {
            names[l] = "blocks." + l + ".attn.hook_pattern";
        }
        return names;
    }

    /**
     * The query nodes' attributions: per layer, [position * heads + head].
     *
     * @param g a gradient run on the corrupted prompt with the {@link #patternSites} as sites
     * @return per layer, Σ over the row's keys of (patched − corrupted pattern) · gradient
     */
    float[][] queries(GradientResult g) {
        float[][] out = new float[corrupted.length][seq * heads];
        for (int l = 0; l < corrupted.length; l++) {
            float[] gradient = gradient(g, l);
            float[] a = corrupted[l];
            float[] patched = queriesPatched[l];
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < seq; t++) {
                    int row = (h * seq + t) * seq;
                    double sum = 0;
                    for (int s = 0; s < seq; s++) {
                        sum += ((double) patched[row + s] - a[row + s]) * gradient[row + s];
                    }
                    out[l][t * heads + h] = (float) sum;
                }
            }
        }
        return out;
    }

    /**
     * The key nodes' attributions: per layer, [position * kvHeads + kvHead], summed over the query heads that share
     * the key and over the rows that see it.
     *
     * @param g a gradient run on the corrupted prompt with the {@link #patternSites} as sites
     * @return per layer, Σ over rows of (pattern with that one key patched − corrupted pattern) · gradient
     */
    float[][] keys(GradientResult g) {
        int group = heads / kvHeads;
        float[][] out = new float[corrupted.length][seq * kvHeads];
        for (int l = 0; l < corrupted.length; l++) {
            float[] gradient = gradient(g, l);
            float[] a = corrupted[l];
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < seq; t++) {
                    int row = (h * seq + t) * seq;
                    double before = 0;
                    for (int i = 0; i < seq; i++) {
                        before += (double) a[row + i] * gradient[row + i];
                    }
                    int[] reference = {largestKept(a, row, 1), largestKept(a, row, 0)};
                    for (int s = 0; s < seq; s++) {
                        out[l][s * kvHeads + h / group] += (float) oneKey(l, row, s, reference[s % 2], before,
                                gradient);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Row {@code row}'s change of Σ pattern · gradient ({@code before} in the corrupted run) when key {@code s} alone
     * takes its clean value. With A the corrupted row, B the row with every key of {@code s}'s parity patched and r
     * the largest cell of the other parity (kept corrupted, so A and B share its score), the patched key's weight
     * relative to the corrupted row is {@code x = B[s] · A[r] / B[r]}, and the row becomes A with A[s] replaced by x,
     * divided by {@code 1 − A[s] + x}. A row whose only visible key is {@code s} does not change.
     */
    private double oneKey(int layer, int row, int s, int r, double before, float[] gradient) {
        float[] a = corrupted[layer];
        float[] b = s % 2 == 1 ? oddKeysPatched[layer] : evenKeysPatched[layer];
        if (r < 0 || b[row + r] == 0 || (a[row + s] == 0 && b[row + s] == 0)) {
            return 0;
        }
        double x = (double) b[row + s] * a[row + r] / b[row + r];
        double as = a[row + s];
        double after = (before - as * gradient[row + s] + x * gradient[row + s]) / (1 - as + x);
        return after - before;
    }

    /** The position of the row's largest corrupted weight among positions of the given parity, or −1 if all are 0. */
    private int largestKept(float[] a, int row, int parity) {
        int best = -1;
        for (int i = parity; i < seq; i += 2) {
            if (a[row + i] > 0 && (best < 0 || a[row + i] > a[row + best])) {
                best = i;
            }
        }
        return best;
    }

    /** The gradient at a layer's pattern, [heads * seq * seq]; zeros where the metric does not depend on it. */
    private float[] gradient(GradientResult g, int layer) {
        String site = "blocks." + layer + ".attn.hook_pattern";
        return g.dependsOn(site) ? g.get(site).toFloatArray() : new float[heads * seq * seq];
    }
}
