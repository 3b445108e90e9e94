package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.microw.lm.ActivationCache;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import io.microw.nn.Linear;
import io.microw.nn.ResidualNorm;
import io.microw.util.TopK;

import java.util.ArrayList;
import java.util.List;

/**
 * The logit lens: each block's input, and the last block's output, read as if it were the final residual stream:
 * through the final norm (recomputed on that layer's stream) and the unembedding. At the last layer it gives the
 * model's logits (for families without a final soft-cap: Gemma 2's {@code final_logit_softcapping} is not applied).
 */
public final class LogitLens {

    private LogitLens() {
    }

    /**
     * What each layer predicts.
     *
     * @param labels    the layer of each entry: {@code blocks.<i>.hook_resid_pre}, then the last block's output
     * @param topTokens per layer and row, the {@code k} most likely next tokens at the row's last position, most
     *                  likely first: [layers + 1][rows][k]
     * @param metric    per layer, the metric of its logits
     */
    public record Result(List<String> labels, int[][][] topTokens, float[] metric) {
    }

    /**
     * Runs the prompts and reads every layer's residual stream through the final norm and the unembedding.
     *
     * @param lm     a decoder model
     * @param ids    unpadded prompts of equal length [rows][seq]
     * @param k      top tokens to report per layer and row, at least 1
     * @param metric what to measure on each layer's logits [rows, seq, vocab]
     * @return per layer, the top tokens and the metric
     */
    public static Result of(LanguageModel lm, long[][] ids, int k, LogitMetric metric) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        int layers = lm.config().numLayers();
        Linear unembed = (Linear) lm.layers().module("unembed");
        try (RunResult run = lm.inference().run(ids, null, Interventions.capture("blocks.*.hook_resid_pre",
                "blocks." + (layers - 1) + ".hook_resid_post"))) {
            ActivationCache cache = run.cache();
            NDArray streams = cache.accumulatedResid();
            ResidualNorm norm = cache.finalNorm();
            List<String> labels = new ArrayList<>();
            int[][][] top = new int[layers + 1][ids.length][];
            float[] values = new float[layers + 1];
            for (int i = 0; i <= layers; i++) {
                labels.add(i < layers ? "blocks." + i + ".hook_resid_pre" : "blocks." + (i - 1) + ".hook_resid_post");
                NDArray logits = unembed.apply(norm.apply(streams.get(i)));
                values[i] = metric.apply(logits, null);
                for (int row = 0; row < ids.length; row++) {
                    top[i][row] = TopK.indices(logits.get(new NDIndex("{}, -1, :", row)).toFloatArray(), k);
                }
            }
            return new Result(List.copyOf(labels), top, values);
        }
    }
}
