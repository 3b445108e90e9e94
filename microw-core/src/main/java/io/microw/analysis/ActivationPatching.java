package io.microw.analysis;

import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

import java.util.List;

/**
 * Activation patching by denoising (TransformerLens' {@code patching}) with the default settings: each method runs
 * the corrupted prompt with one activation at a time taken from the clean prompt, batched, and records the metric.
 * {@link #defaults()} gives the same sweeps with settings (patched copies per forward, progress).
 * <pre>{@code
 * PatchingResult r = ActivationPatching.residPre(lm, clean, corrupt, LogitMetric.logitDiff(a, b));
 * }</pre>
 */
public final class ActivationPatching {

    private ActivationPatching() {
    }

    /**
     * The sweeps with default settings, to change them ({@link PatchingSweeps#withMaxBatch},
     * {@link PatchingSweeps#withProgress}).
     *
     * @return the default sweeps
     */
    public static PatchingSweeps defaults() {
        return PatchingSweeps.defaults();
    }

    /**
     * Patches each block's input ({@code hook_resid_pre}) at each position; see {@link PatchingSweeps#residPre}.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public static PatchingResult residPre(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return defaults().residPre(lm, clean, corrupt, metric);
    }

    /**
     * Patches each block's {@code hook_resid_mid} at each position; see {@link PatchingSweeps#residMid}.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public static PatchingResult residMid(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return defaults().residMid(lm, clean, corrupt, metric);
    }

    /**
     * Patches each block's output ({@code hook_resid_post}) at each position; see {@link PatchingSweeps#residPost}.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public static PatchingResult residPost(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return defaults().residPost(lm, clean, corrupt, metric);
    }

    /**
     * Patches each block's attention output ({@code hook_attn_out}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public static PatchingResult attnOut(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return defaults().attnOut(lm, clean, corrupt, metric);
    }

    /**
     * Patches each block's MLP output ({@code hook_mlp_out}) at each position.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][positions]
     */
    public static PatchingResult mlpOut(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return defaults().mlpOut(lm, clean, corrupt, metric);
    }

    /**
     * Patches each attention head's {@code attn.hook_z} at all positions; the prompts may differ in length (aligned
     * on the last token, see {@link PatchingSweeps#attnHeads}).
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq'], of any length
     * @param metric  what to measure on the logits
     * @return [layers][heads]
     */
    public static PatchingResult attnHeads(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return defaults().attnHeads(lm, clean, corrupt, metric);
    }

    /**
     * Patches each attention head's pattern ({@code attn.hook_pattern}) at all query positions; see
     * {@link PatchingSweeps#attnPattern}.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return [layers][heads]
     */
    public static PatchingResult attnPattern(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric) {
        return defaults().attnPattern(lm, clean, corrupt, metric);
    }

    /**
     * Patches each attention head's {@code attn.hook_z} at each position separately.
     *
     * @param lm      the model
     * @param clean   the clean prompt's ids [1][seq]
     * @param corrupt the corrupted prompt's ids [1][seq]
     * @param metric  what to measure on the logits
     * @return one result per layer, each [heads][positions]
     */
    public static List<PatchingResult> attnHeadsByPosition(LanguageModel lm, long[][] clean, long[][] corrupt,
                                                           LogitMetric metric) {
        return defaults().attnHeadsByPosition(lm, clean, corrupt, metric);
    }
}
