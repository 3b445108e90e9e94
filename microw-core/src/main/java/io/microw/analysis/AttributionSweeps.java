package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.lm.GradientResult;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Attribution patching with settings; {@link AttributionPatching} runs it with the defaults. Each sweep runs the
 * clean prompt once (capturing the sites) and the corrupted prompt once forward and backward, and estimates every
 * cell as Σ (clean − corrupted activation) · d metric / d activation on the corrupted run. A cell's value is the
 * estimated metric of the patched run, {@code corruptMetric + attribution}. With {@link #withGradDrop} (AtP*'s
 * GradDrop, Kramár et al. 2024) the corrupted prompt runs forward and backward once per layer {@code l} instead, the
 * gradient stopped where block {@code l}'s attention and MLP write to the residual stream, and a cell's attribution is
 * {@code 1/(L − 1) · Σ_l |attribution with layer l dropped|}: a magnitude, to rank cells by, that a cancellation
 * along one path can no longer hide. With {@link #withQkFix} (AtP*'s QK fix) the queries' and keys' sweeps
 * ({@link #attnQueries}, {@link #attnKeys}) take the exact attention pattern a patched query or key gives and
 * linearise only from the pattern on.
 * <pre>{@code
 * PatchingResult r = AttributionPatching.defaults().withGradDrop().residPre(lm, clean, corrupt, metric);
 * PatchingResult keys = AttributionPatching.defaults().withQkFix().attnKeys(lm, clean, corrupt, metric);
 * }</pre>
 */
public final class AttributionSweeps {

    private static final String QUERIES = "attn.hook_q";
    private static final String KEYS = "attn.hook_k";

    private final boolean gradDrop;
    private final boolean qkFix;

    private AttributionSweeps(boolean gradDrop, boolean qkFix) {
        this.gradDrop = gradDrop;
        this.qkFix = qkFix;
    }

    /**
     * Plain attribution patching: one corrupted forward-backward pass.
     *
     * @return the default sweeps
     */
    public static AttributionSweeps defaults() {
        return new AttributionSweeps(false, false);
    }

    /**
     * The same sweeps with AtP*'s GradDrop: one corrupted forward-backward pass per layer instead of one, and
     * magnitudes instead of signed estimates. Needs a model of at least two layers.
     *
     * @return the sweeps
     */
    public AttributionSweeps withGradDrop() {
        return new AttributionSweeps(true, qkFix);
    }

    /**
     * The same sweeps with AtP*'s QK fix for {@link #attnQueries} and {@link #attnKeys}: each query's or key's
     * attribution is Σ (exact patched pattern − corrupted pattern) · d metric / d pattern, which stays right where
     * the softmax saturates. Three more forwards per sweep; the other sweeps are unchanged.
     *
     * @return the sweeps
     */
    public AttributionSweeps withQkFix() {
        return new AttributionSweeps(gradDrop, true);
    }

    /**
     * Estimates patching each block's input ({@code hook_resid_pre}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return [layers][positions]
     */
    public PatchingResult residPre(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byPosition(lm, clean, corrupt, metric, "hook_resid_pre");
    }

    /**
     * Estimates patching each block's attention output ({@code hook_attn_out}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return [layers][positions]
     */
    public PatchingResult attnOut(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byPosition(lm, clean, corrupt, metric, "hook_attn_out");
    }

    /**
     * Estimates patching each block's MLP output ({@code hook_mlp_out}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return [layers][positions]
     */
    public PatchingResult mlpOut(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byPosition(lm, clean, corrupt, metric, "hook_mlp_out");
    }

    /**
     * Estimates patching each attention head's output before the output projection ({@code attn.hook_z}) at all
     * positions: the head's attributions summed over positions and {@code head_dim}.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return [layers][heads]
     */
    public PatchingResult attnHeads(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byHead(attribute(lm, clean, corrupt, metric, "attn.hook_z"), "attn.hook_z");
    }

    /** Per layer and head, the corrupted metric plus the head's attributions summed over positions. */
    private static PatchingResult byHead(Attributions a, String hook) {
        float[][] values = new float[a.layers()][a.heads()];
        for (int l = 0; l < a.layers(); l++) {
            for (int h = 0; h < a.heads(); h++) {
                float sum = 0;
                for (int p = 0; p < a.seq(); p++) {
                    sum += a.at(l, p, h);
                }
                values[l][h] = a.corrupt() + sum;
            }
        }
        return new PatchingResult(values, PatchingSweeps.rowLabels(a.layers(), hook),
                PatchingSweeps.labels("head", a.heads()), a.clean(), a.corrupt());
    }

    /**
     * Estimates patching each attention head's queries ({@code attn.hook_q}, as they enter the attention, before
     * rotary positions where the model has them) at all positions: the head's attributions summed over positions.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return [layers][heads]
     */
    public PatchingResult attnQueries(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byHead(attribute(lm, clean, corrupt, metric, QUERIES), QUERIES);
    }

    /**
     * Estimates patching each key head's keys ({@code attn.hook_k}; with grouped-query attention a key head serves
     * several query heads) at each position, summed over positions.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return [layers][key heads]
     */
    public PatchingResult attnKeys(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return byHead(attribute(lm, clean, corrupt, metric, KEYS), KEYS);
    }

    /**
     * Estimates patching each attention head's output ({@code attn.hook_z}) at each position separately, from the
     * same two passes as {@link #attnHeads}.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return one result per layer, each [heads][positions]
     */
    public List<PatchingResult> attnHeadsByPosition(LanguageModel lm, long[][] clean, long[][] corrupt,
                                                           LogitMetric metric) {
        Attributions a = attribute(lm, clean, corrupt, metric, "attn.hook_z");
        List<PatchingResult> out = new ArrayList<>();
        for (int l = 0; l < a.layers(); l++) {
            float[][] values = new float[a.heads()][a.seq()];
            for (int h = 0; h < a.heads(); h++) {
                for (int p = 0; p < a.seq(); p++) {
                    values[h][p] = a.corrupt() + a.at(l, p, h);
                }
            }
            out.add(new PatchingResult(values, PatchingSweeps.labels("blocks." + l + ".attn.hook_z head", a.heads()),
                    PatchingSweeps.labels("position", a.seq()), a.clean(), a.corrupt()));
        }
        return out;
    }

    private PatchingResult byPosition(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
                                             String hook) {
        Attributions a = attribute(lm, clean, corrupt, metric, hook);
        float[][] values = new float[a.layers()][a.seq()];
        for (int l = 0; l < a.layers(); l++) {
            for (int p = 0; p < a.seq(); p++) {
                values[l][p] = a.corrupt() + a.at(l, p, 0);
            }
        }
        return new PatchingResult(values, PatchingSweeps.rowLabels(a.layers(), hook),
                PatchingSweeps.labels("position", a.seq()), a.clean(), a.corrupt());
    }

    /**
     * Per layer, the attributions [position * heads + head] (one "head" for a [1, seq, d] site), and the two
     * metrics.
     */
    private record Attributions(float[][] values, int seq, int heads, float clean, float corrupt) {
        int layers() {
            return values.length;
        }

        float at(int layer, int position, int head) {
            return values[layer][position * heads + head];
        }
    }

    /**
     * One clean forward capturing the sites, one corrupted forward-backward (and, with GradDrop, one per dropped
     * layer), and their product per cell.
     */
    private Attributions attribute(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
                                   String hook) {
        Objects.requireNonNull(lm, "lm");
        int seq = PatchingSweeps.checkedPrompts(clean, corrupt, "attribution patching subtracts one run's "
                + "activations from the other's position by position, so it needs prompts of equal length");
        Objects.requireNonNull(metric, "metric");
        MetricCheck.requireDifferentiable(lm, metric, 1, seq);
        int layers = lm.config().numLayers();
        if (gradDrop && layers < 2) {
            throw new IllegalArgumentException("GradDrop averages over the other layers, so it needs a model of at "
                    + "least 2 layers; this one has " + layers + "; use plain attribution patching");
        }
        String[] names = new String[layers];
        for (int l = 0; l < layers; l++) {
            names[l] = "blocks." + l + "." + hook;
        }
        boolean fixed = qkFix && (hook.equals(QUERIES) || hook.equals(KEYS));
        Interventions capture = fixed ? Interventions.capture("blocks.*." + QUERIES, "blocks.*." + KEYS)
                : Interventions.capture(names);
        Interventions cleanRun = metric.readsLastTokenOnly() ? capture.and(Interventions.logitsAtLastPosition())
                : capture;
        try (RunResult c = lm.inference().run(clean, null, cleanRun)) {
            float cleanMetric = metric.apply(c.logits(), null);
            int heads = heads(c, names);
            String[] sites = names;
            Interventions corruptRun = capture;
            Function<GradientResult, float[][]> estimate = g -> products(c, g, names);
            if (fixed) {
                QkFix fix = QkFix.measure(lm, corrupt, c.cache());
                sites = QkFix.patternSites(layers);
                corruptRun = Interventions.none();
                estimate = hook.equals(QUERIES) ? fix::queries : fix::keys;
            }
            if (!gradDrop) {
                try (GradientResult g = lm.gradients().of(corrupt, null, corruptRun, metric, sites)) {
                    return new Attributions(estimate.apply(g), seq, heads, cleanMetric, g.value());
                }
            }
            float[][] sum = new float[layers][seq * heads];
            float corruptMetric = 0;
            for (int dropped = 0; dropped < layers; dropped++) {
                Interventions drop = corruptRun
                        .and(Interventions.edit("blocks." + dropped + ".hook_attn_out", NDArray::stopGradient))
                        .and(Interventions.edit("blocks." + dropped + ".hook_mlp_out", NDArray::stopGradient));
                try (GradientResult g = lm.gradients().of(corrupt, null, drop, metric, sites)) {
                    float[][] values = estimate.apply(g);
                    for (int l = 0; l < layers; l++) {
                        for (int i = 0; i < values[l].length; i++) {
                            sum[l][i] += Math.abs(values[l][i]) / (layers - 1);
                        }
                    }
                    corruptMetric = g.value();
                }
            }
            return new Attributions(sum, seq, heads, cleanMetric, corruptMetric);
        }
    }

    /** Per layer, Σ over the last axis of (clean − corrupted) · gradient; zero where the metric does not depend. */
    private static float[][] products(RunResult clean, GradientResult corrupted, String[] names) {
        float[][] values = new float[names.length][];
        for (int l = 0; l < names.length; l++) {
            NDArray cleanValue = clean.cache().get(names[l]);
            values[l] = corrupted.dependsOn(names[l])
                    ? product(cleanValue, corrupted.cache().get(names[l]), corrupted.get(names[l]))
                    : new float[(int) (cleanValue.size() / cleanValue.getShape().get(-1))];
        }
        return values;
    }

    /** Heads per cell row: a [1, seq, heads, head_dim] site's heads, else 1. */
    private static int heads(RunResult clean, String[] names) {
        Shape shape = clean.cache().get(names[0]).getShape();
        return shape.dimension() >= 4 ? (int) shape.get(2) : 1;
    }

    /** Σ over the last axis of (clean − corrupted) · gradient, flattened; the temporaries are freed at once. */
    private static float[] product(NDArray clean, NDArray corrupted, NDArray gradient) {
        try (NDManager scope = clean.getManager().newSubManager()) {
            scope.tempAttachAll(clean, corrupted, gradient);
            return clean.sub(corrupted).mul(gradient).sum(new int[] {-1}).toFloatArray();
        }
    }
}
