package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.microw.lm.ActivationCache;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.RunResult;
import io.microw.nn.Linear;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Direct logit attribution: how much each part of the final residual stream (the embeddings, each attention output,
 * each MLP output, and each attention head) adds to logit[A] − logit[B] at the last position, through the final
 * norm with the scale computed on this run ({@link ActivationCache#applyFinalNorm}) and the unembedding. The parts
 * and the constant biases (the final norm's and the unembedding's) sum to the model's logit difference (for
 * families without a final soft-cap such as Gemma 2's).
 */
public final class DirectLogitAttribution {

    private DirectLogitAttribution() {
    }

    /**
     * Each part's direct contribution, per row.
     *
     * @param components the parts: {@code embed}, then {@code blocks.<i>.attn} and {@code blocks.<i>.mlp} for each
     *                   block, then {@code biases} (the final norm's and the unembedding's)
     * @param values     [components][rows]: each part's contribution; they sum to the logit difference
     * @param heads      [layers][heads][rows]: each head's share of its block's attention part, without the output
     *                   projection's bias
     * @param logitDiff  [rows]: the model's logit[A] − logit[B] at the last position
     */
    public record Result(List<String> components, float[][] values, float[][][] heads, float[] logitDiff) {
    }

    /**
     * Runs the prompts and attributes logit[A] − logit[B] at the last position to the parts of the residual stream.
     *
     * @param lm     a decoder model
     * @param ids    unpadded prompts of equal length [rows][seq]
     * @param tokenA the token whose logit counts positively
     * @param tokenB the token whose logit is subtracted
     * @return the attribution
     */
    public static Result logitDiff(LanguageModel lm, long[][] ids, long tokenA, long tokenB) {
        int vocab = lm.config().vocabSize();
        for (long t : new long[] {tokenA, tokenB}) {
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("token " + t + " is out of range: the vocabulary has " + vocab
                        + " tokens (0.." + (vocab - 1) + ")");
            }
        }
        int layers = lm.config().numLayers();
        Linear unembed = (Linear) lm.layers().module("unembed");
        try (RunResult run = lm.inference().run(ids, null, Interventions.capture("blocks.0.hook_resid_pre",
                "blocks.*.hook_attn_out", "blocks.*.hook_mlp_out", "blocks." + (layers - 1) + ".hook_resid_post",
                "*.hook_z"))) {
            ActivationCache cache = run.cache();
            float[] direction = difference(unembed.weight(), tokenA, tokenB);
            NDArray dir = cache.get("blocks.0.hook_resid_pre").getManager().create(direction);
            NDArray parts = lastPosition(cache.applyFinalNorm(cache.decomposeResid())).matMul(dir);
            float[][] values = new float[2 * layers + 2][];
            for (int i = 0; i <= 2 * layers; i++) {
                values[i] = parts.get(i).toFloatArray();
            }
            float bias = dot(cache.finalNorm().bias(), direction)
                    + unembed.bias().map(b -> difference(b, tokenA, tokenB)[0]).orElse(0f);
            values[2 * layers + 1] = new float[ids.length];
            Arrays.fill(values[2 * layers + 1], bias);
            float[][][] heads = new float[layers][][];
            for (int l = 0; l < layers; l++) {
                NDArray perHead = cache.applyFinalNorm(cache.headResults(l).transpose(2, 0, 1, 3));
                NDArray contributions = lastPosition(perHead).matMul(dir);
                heads[l] = new float[(int) contributions.getShape().get(0)][];
                for (int h = 0; h < heads[l].length; h++) {
                    heads[l][h] = contributions.get(h).toFloatArray();
                }
            }
            NDArray last = run.logits().get(new NDIndex(":, -1, :"));
            float[] actual = last.get(new NDIndex(":, {}", tokenA)).sub(last.get(new NDIndex(":, {}", tokenB)))
                    .toFloatArray();
            return new Result(components(layers), values, heads, actual);
        }
    }

    private static List<String> components(int layers) {
        List<String> names = new ArrayList<>();
        names.add("embed");
        for (int l = 0; l < layers; l++) {
            names.add("blocks." + l + ".attn");
            names.add("blocks." + l + ".mlp");
        }
        names.add("biases");
        return List.copyOf(names);
    }

    /** [n, rows, seq, d] to [n, rows, d] at the last position. */
    private static NDArray lastPosition(NDArray stack) {
        return stack.get(new NDIndex(":, :, -1, :"));
    }

    /** Row A minus row B of a [vocab, ...] or [vocab] array, on the heap (the arrays made on the way are freed at once). */
    private static float[] difference(NDArray rows, long tokenA, long tokenB) {
        try (NDArray a = rows.get(tokenA); NDArray b = rows.get(tokenB); NDArray diff = a.sub(b);
             NDArray f = diff.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }

    private static float dot(Optional<NDArray> vector, float[] direction) {
        if (vector.isEmpty()) {
            return 0f;
        }
        float[] v;
        try (NDArray f = vector.get().toType(DataType.FLOAT32, true)) {
            v = f.toFloatArray();
        }
        float sum = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i] * direction[i];
        }
        return sum;
    }
}
