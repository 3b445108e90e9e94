package io.microw.analysis;

import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

import java.util.List;

/**
 * Attribution patching (Nanda; Kramár et al., AtP): a first-order estimate of every cell of an
 * {@link ActivationPatching} sweep from one clean forward and one corrupted forward-backward pass, instead of one
 * patched forward per cell. A cell's attribution is Σ (clean − corrupted activation) · d metric / d activation on the
 * corrupted run, summed over the cell's model dimension (and, for heads, over {@code head_dim}). Results have the
 * shape and labels of {@link ActivationPatching}'s; a cell's value is the estimated metric of the patched run,
 * {@code corruptMetric + attribution}, so {@link PatchingResult#restored} reads as there. Prompts are one row each
 * and of equal length; the metric must be differentiable ({@link LogitMetric#tensor}) and the model float32.
 * {@link #defaults()} gives the same sweeps with settings (AtP*'s GradDrop and QK fix).
 * <pre>{@code
 * PatchingResult r = AttributionPatching.residPre(lm, clean, corrupt, LogitMetric.logitDiff(a, b));
 * float attribution = r.values()[3][5] - r.corruptMetric();
 * }</pre>
 */
public final class AttributionPatching {

    private AttributionPatching() {
    }

    /**
     * The sweeps with default settings, to change them ({@link AttributionSweeps#withGradDrop}).
     *
     * @return the default sweeps
     */
    public static AttributionSweeps defaults() {
        return AttributionSweeps.defaults();
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
        return defaults().residPre(lm, clean, corrupt, metric);
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
        return defaults().attnOut(lm, clean, corrupt, metric);
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
        return defaults().mlpOut(lm, clean, corrupt, metric);
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
        return defaults().attnHeads(lm, clean, corrupt, metric);
    }

    /**
     * Estimates patching each attention head's queries ({@code attn.hook_q}) at all positions; see
     * {@link AttributionSweeps#withQkFix} for AtP*'s correction.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return [layers][heads]
     */
    public static PatchingResult attnQueries(LanguageModel lm, long[][] clean, long[][] corrupt,
                                             LogitMetric metric) {
        return defaults().attnQueries(lm, clean, corrupt, metric);
    }

    /**
     * Estimates patching each key head's keys ({@code attn.hook_k}) at all positions; see
     * {@link AttributionSweeps#withQkFix} for AtP*'s correction.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  a differentiable metric of the logits
     * @return [layers][key heads]
     */
    public static PatchingResult attnKeys(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return defaults().attnKeys(lm, clean, corrupt, metric);
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
        return defaults().attnHeadsByPosition(lm, clean, corrupt, metric);
    }
}
