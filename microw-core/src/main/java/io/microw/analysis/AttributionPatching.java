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

/**
 * Attribution patching (Nanda; Kramár et al., AtP): a first-order estimate of every cell of an
 * {@link ActivationPatching} sweep from one clean forward and one corrupted forward-backward pass, instead of one
 * patched forward per cell. A cell's attribution is Σ (clean − corrupted activation) · d metric / d activation on the
 * corrupted run, summed over the cell's model dimension (and, for heads, over {@code head_dim}). Results have the
 * shape and labels of {@link ActivationPatching}'s; a cell's value is the estimated metric of the patched run,
 * {@code corruptMetric + attribution}, so {@link PatchingResult#restored} reads as there. Prompts are one row each
 * and of equal length; the metric must be differentiable ({@link LogitMetric#tensor}) and the model float32.
 * <pre>{@code
 * PatchingResult r = AttributionPatching.residPre(lm, clean, corrupt, LogitMetric.logitDiff(a, b));
 * float attribution = r.values()[3][5] - r.corruptMetric();
 * }</pre>
 */
public final class AttributionPatching {

    private AttributionPatching() {
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
    public static PatchingResult residPre(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
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
    public static PatchingResult attnOut(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
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
    public static PatchingResult mlpOut(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
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
    public static PatchingResult attnHeads(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        Attributions a = attribute(lm, clean, corrupt, metric, "attn.hook_z");
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
        return new PatchingResult(values, PatchingSweeps.rowLabels(a.layers(), "attn.hook_z"),
                PatchingSweeps.labels("head", a.heads()), a.clean(), a.corrupt());
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
    public static List<PatchingResult> attnHeadsByPosition(LanguageModel lm, long[][] clean, long[][] corrupt,
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

    private static PatchingResult byPosition(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
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

    /** One clean forward capturing the sites, one corrupted forward-backward, and their product per cell. */
    private static Attributions attribute(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric,
                                          String hook) {
        Objects.requireNonNull(lm, "lm");
        int seq = PatchingSweeps.checkedPrompts(clean, corrupt);
        requireTensorForm(lm, metric, seq);
        int layers = lm.config().numLayers();
        String[] names = new String[layers];
        for (int l = 0; l < layers; l++) {
            names[l] = "blocks." + l + "." + hook;
        }
        Interventions capture = Interventions.capture(names);
        Interventions cleanRun = metric.readsLastTokenOnly() ? capture.and(Interventions.logitsAtLastPosition())
                : capture;
        float[][] values = new float[layers][];
        int heads = 1;
        try (RunResult c = lm.inference().run(clean, null, cleanRun);
             GradientResult g = lm.gradients().of(corrupt, null, capture, metric, names)) {
            for (int l = 0; l < layers; l++) {
                NDArray cleanValue = c.cache().get(names[l]);
                Shape shape = cleanValue.getShape();
                heads = shape.dimension() >= 4 ? (int) shape.get(2) : 1;
                values[l] = g.dependsOn(names[l])
                        ? product(cleanValue, g.cache().get(names[l]), g.get(names[l]))
                        : new float[seq * heads];
            }
            return new Attributions(values, seq, heads, metric.apply(c.logits(), null), g.value());
        }
    }

    /** Σ over the last axis of (clean − corrupted) · gradient, flattened; the temporaries are freed at once. */
    private static float[] product(NDArray clean, NDArray corrupted, NDArray gradient) {
        try (NDManager scope = clean.getManager().newSubManager()) {
            scope.tempAttachAll(clean, corrupted, gradient);
            return clean.sub(corrupted).mul(gradient).sum(new int[] {-1}).toFloatArray();
        }
    }

    /** Refuses, before any forward, a metric that has no tensor form (or whose tensor form is not a scalar). */
    private static void requireTensorForm(LanguageModel lm, LogitMetric metric, int seq) {
        Objects.requireNonNull(metric, "metric");
        try (NDManager probe = NDManager.newBaseManager(lm.device())) {
            metric.tensor(probe.zeros(new Shape(1, seq, lm.config().vocabSize())), null);
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException("attribution patching takes the metric's gradient, so the metric must "
                    + "be differentiable: " + e.getMessage(), e);
        }
    }
}
