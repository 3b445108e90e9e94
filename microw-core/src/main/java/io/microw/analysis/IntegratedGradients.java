package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.lm.GradientResult;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;

import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.IntConsumer;

/**
 * Integrated gradients (Sundararajan et al., 2017) over the token embeddings, and gradient × input saliency: how much
 * each input token adds to a metric of one prompt.
 *
 * <p>The attributed input is the token embeddings, the output of {@code hook_embed} (GPT-2's {@code wte}, Llama's
 * {@code embed_tokens}, Gemma's scaled {@code embed_tokens}); position embeddings and everything after stay as the
 * model computes them. The path runs in a straight line from the baseline's token embeddings to the input's: zero
 * (the default), or those of a given token (such as a pad or space token) at every position. Token {@code i}'s
 * attribution is Σ_d (x_i − x'_i)_d · the average over the path of d metric / d x_i, d, the average taken by the
 * midpoint rule over {@code steps} points, taken as the rows of forward-backward passes (of at most
 * {@value #DEFAULT_STEPS} rows unless {@link #withRowsPerPass} says otherwise). Completeness: the attributions sum
 * to metric(input) − metric(baseline), both computed exactly by one plain forward, up to the rule's error
 * ({@link Result#convergenceDelta}), which shrinks as the square of the step.
 *
 * <p>A zero baseline suits models with position embeddings (GPT-2, BERT). In a model without them whose blocks
 * normalize their input (Llama, Qwen, Gemma, GPT-NeoX, Phi-3), zero token embeddings make every norm's input vanish:
 * the metric jumps within a sliver of the path next to the baseline, no number of steps reaches completeness, and
 * {@link Result#convergenceDelta} stays large. Use a token baseline ({@link #withBaselineToken}) there.
 * <pre>{@code
 * IntegratedGradients.Result r = IntegratedGradients.defaults().withSteps(64)
 *         .attribute(lm, ids, LogitMetric.logitDiff(answer, wrong));
 * float[] perToken = r.attributions();
 * }</pre>
 * The metric must be differentiable ({@link LogitMetric#tensor}) and the metric of a batch must be the sum of its
 * rows' (as {@link LogitMetric#logitDiff} and {@link LogitMetric#logProb} are): each interpolation point is a row.
 * Immutable; one value may serve many calls.
 */
public final class IntegratedGradients {

    /** The number of interpolation points unless {@link #withSteps} says otherwise. */
    public static final int DEFAULT_STEPS = 32;

    private static final String EMBED = "hook_embed";

    private final int steps;
    private final int rowsPerPass;
    private final OptionalLong baselineToken;
    private final IntConsumer progress;

    private IntegratedGradients(int steps, int rowsPerPass, OptionalLong baselineToken, IntConsumer progress) {
        this.steps = steps;
        this.rowsPerPass = rowsPerPass;
        this.baselineToken = baselineToken;
        this.progress = progress;
    }

    /**
     * The attributions of one prompt's tokens.
     *
     * @param attributions     one value per token, in order: Σ_d (input − baseline) · average gradient
     * @param metricAtInput    the metric on the prompt
     * @param metricAtBaseline the metric with the baseline's token embeddings
     */
    public record Result(float[] attributions, float metricAtInput, float metricAtBaseline) {

        /**
         * The attributions' sum, which completeness equates with {@code metricAtInput − metricAtBaseline}.
         *
         * @return Σ attributions
         */
        public float sum() {
            double total = 0;
            for (float a : attributions) {
                total += a;
            }
            return (float) total;
        }

        /**
         * How far the attributions miss completeness (Captum's convergence delta): more steps make it smaller.
         *
         * @return Σ attributions − (metric(input) − metric(baseline))
         */
        public float convergenceDelta() {
            return sum() - (metricAtInput - metricAtBaseline);
        }
    }

    /**
     * Gradient × input saliency of one prompt's tokens.
     *
     * @param values one value per token, in order: Σ_d embedding · d metric / d embedding
     * @param metric the metric on the prompt
     */
    public record Saliency(float[] values, float metric) {
    }

    /**
     * {@value #DEFAULT_STEPS} steps from a zero baseline, at most {@value #DEFAULT_STEPS} rows a forward-backward
     * (so the default steps take one).
     *
     * @return the default settings
     */
    public static IntegratedGradients defaults() {
        return new IntegratedGradients(DEFAULT_STEPS, DEFAULT_STEPS, OptionalLong.empty(), done -> { });
    }

    /**
     * The same settings with another number of interpolation points.
     *
     * @param count points on the path, at least 1; the error of completeness shrinks as 1 / count²
     * @return the new settings
     */
    public IntegratedGradients withSteps(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("integrated gradients need at least 1 step, got " + count);
        }
        return new IntegratedGradients(count, rowsPerPass, baselineToken, progress);
    }

    /**
     * The same settings with a baseline made of one token at every position: the path starts at that token's
     * embeddings instead of zero.
     *
     * @param token a token id in the model's vocabulary, such as a pad or space token
     * @return the new settings
     */
    public IntegratedGradients withBaselineToken(long token) {
        if (token < 0) {
            throw new IllegalArgumentException("the baseline token must be a vocabulary id (0 or more), got " + token);
        }
        return new IntegratedGradients(steps, rowsPerPass, OptionalLong.of(token), progress);
    }

    /**
     * The same settings with at most {@code rows} interpolation points per forward-backward: fewer rows take less
     * memory and more passes.
     *
     * @param rows points per pass, at least 1
     * @return the new settings
     */
    public IntegratedGradients withRowsPerPass(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("a pass needs at least 1 row, got " + rows);
        }
        return new IntegratedGradients(steps, rows, baselineToken, progress);
    }

    /**
     * The same settings, telling {@code stepsDone} how many interpolation points are done after each
     * forward-backward pass (for a progress line; it runs on the calling thread).
     *
     * @param stepsDone receives the points done so far, up to the number of steps
     * @return the new settings
     */
    public IntegratedGradients withProgress(IntConsumer stepsDone) {
        return new IntegratedGradients(steps, rowsPerPass, baselineToken, Objects.requireNonNull(stepsDone,
                "stepsDone"));
    }

    /**
     * Attributes a metric of one prompt to its tokens.
     *
     * @param lm     a float32 language model
     * @param ids    the prompt's token ids, unpadded, at least one
     * @param metric a differentiable metric, summed over rows
     * @return each token's attribution and the metric at both ends of the path
     */
    public Result attribute(LanguageModel lm, long[] ids, LogitMetric metric) {
        checkInputs(lm, ids, metric);
        baselineToken.ifPresent(token -> {
            int vocab = lm.config().vocabSize();
            if (token >= vocab) {
                throw new IllegalArgumentException("the baseline token " + token + " is out of range: the vocabulary"
                        + " has " + vocab + " tokens (0.." + (vocab - 1) + ")");
            }
        });
        long[] baseline = baselineToken.isPresent() ? filled(ids.length, baselineToken.getAsLong()) : ids;
        // row 0: the input; row 1: the baseline, its embeddings zeroed for a zero baseline
        Interventions ends = baselineToken.isPresent() ? Interventions.none()
                : Interventions.edit(EMBED, x -> interpolate(x, null, x, 1f, 0f));
        try (RunResult run = lm.inference().run(new long[][] {ids, baseline}, null,
                ends.and(Interventions.capture(EMBED)))) {
            float[] values = metric.perRow(run.logits(), null);
            NDArray embeddings = run.cache().get(EMBED);
            NDArray start = embeddings.get(1).expandDims(0);
            NDArray difference = embeddings.get(0).expandDims(0).sub(start);
            return new Result(integrate(lm, ids, metric, start, difference), values[0], values[1]);
        }
    }

    /**
     * Σ_d difference · the midpoint rule's average of the gradient along {@code start + alpha · difference}, per
     * token: the steps as rows of forward-backward passes of at most {@code rowsPerPass} rows.
     */
    private float[] integrate(LanguageModel lm, long[] ids, LogitMetric metric, NDArray start, NDArray difference) {
        float[] attributions = new float[ids.length];
        for (int first = 0; first < steps; first += rowsPerPass) {
            float[] alphas = new float[Math.min(rowsPerPass, steps - first)];
            for (int k = 0; k < alphas.length; k++) {
                alphas[k] = (first + k + 0.5f) / steps;
            }
            long[][] rows = new long[alphas.length][];
            Arrays.fill(rows, ids);
            Interventions path = Interventions.edit(EMBED, x -> interpolate(x, start, difference, alphas));
            try (GradientResult g = lm.gradients().of(rows, null, path, metric, EMBED)) {
                float[] pass = g.get(EMBED).sum(new int[] {0}).mul(difference).sum(new int[] {2}).toFloatArray();
                for (int i = 0; i < attributions.length; i++) {
                    attributions[i] += pass[i] / steps;
                }
            }
            progress.accept(first + alphas.length);
        }
        return attributions;
    }

    /**
     * Gradient × input saliency: each token's embedding dotted with the metric's gradient there, from one
     * forward-backward (the first-order share of each token in the metric).
     *
     * @param lm     a float32 language model
     * @param ids    the prompt's token ids, unpadded, at least one
     * @param metric a differentiable metric
     * @return each token's saliency and the metric
     */
    public static Saliency saliency(LanguageModel lm, long[] ids, LogitMetric metric) {
        checkInputs(lm, ids, metric);
        try (GradientResult g = lm.gradients().of(new long[][] {ids}, null, Interventions.capture(EMBED), metric,
                EMBED)) {
            float[] values = g.get(EMBED).mul(g.cache().get(EMBED)).sum(new int[] {2}).toFloatArray();
            return new Saliency(values, g.value());
        }
    }

    /**
     * {@code start + alpha_row · difference} for each row's alpha, a [rows, seq, d] tensor in {@code x}'s manager
     * ({@code start} may be {@code null} for zero). Nothing here needs a gradient (the gradient is taken after this
     * edit), so autograd records none of it.
     */
    private static NDArray interpolate(NDArray x, NDArray start, NDArray difference, float... alphas) {
        NDManager manager = x.getManager();
        NDArray scale = manager.create(alphas).reshape(new Shape(alphas.length, 1, 1));
        NDArray path = scale.mul(difference);
        return start == null ? path : path.add(start);
    }

    /** The checks every call makes before any forward: the prompt, and a metric that gradients can flow through. */
    private static void checkInputs(LanguageModel lm, long[] ids, LogitMetric metric) {
        Objects.requireNonNull(lm, "lm");
        Objects.requireNonNull(metric, "metric");
        if (ids == null || ids.length == 0) {
            throw new IllegalArgumentException("no tokens to attribute: the prompt is empty; give at least one id");
        }
        MetricCheck.requireDifferentiable(lm, metric, 1, ids.length);
    }

    private static long[] filled(int length, long token) {
        long[] out = new long[length];
        Arrays.fill(out, token);
        return out;
    }
}
