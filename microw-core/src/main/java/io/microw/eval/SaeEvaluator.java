package io.microw.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.data.Datasets;
import io.microw.data.TextDataset;
import io.microw.hooks.FunctionController;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.sae.FeatureDensity;
import io.microw.sae.ReconstructionStats;
import io.microw.sae.Sae;
import io.microw.tokenizer.Encodings;
import io.microw.tokenizer.PaddingSide;

import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Evaluates an SAE attached at one layer of a language model on held-out texts, batch by batch, with SAELens'
 * metrics ({@link SaeEvaluation}). Each batch is tokenized once and run three times:
 * <ol>
 *   <li>clean, with a detector capturing the layer's output: its rows go through the SAE for the
 *       reconstruction, sparsity and density metrics, and the logits give the clean CE and distributions;</li>
 *   <li>spliced: a controller replaces the layer's output by {@code sae.forward(output)} at the evaluated
 *       positions (elsewhere the output is kept, as SAELens does for ignored tokens);</li>
 *   <li>zero-ablated: a controller replaces the whole output by zeros.</li>
 * </ol>
 * Only real tokens count (attention mask 1) and, unless {@link #excludeSpecialTokens(boolean)} turns it off,
 * not special tokens such as {@code <|endoftext|>}. The CE at position t (predicting token t+1) counts when
 * token t is evaluated and token t+1 is real; the KL at position t when token t is evaluated.
 *
 * <p>Other hooks registered on the model run as usual in all three passes. The evaluator's own hooks are removed
 * after every pass, also when it fails; each batch's tensors are freed before the next one starts.
 *
 * <pre>{@code
 * SaeEvaluation e = new SaeEvaluator(lm).batchSize(16).progress(p -> System.out.println(p))
 *         .evaluate(sae, "transformer.h.2", texts);
 * System.out.println(e.toMap());
 * }</pre>
 */
public final class SaeEvaluator {

    /** Default {@link #denseThreshold(double)}: a latent firing on more than 10% of tokens counts as dense. */
    public static final double DEFAULT_DENSE_THRESHOLD = 0.1;

    private final LanguageModel lm;
    private int batchSize = 8;
    private int maxLength;
    private PaddingSide paddingSide = PaddingSide.RIGHT;
    private boolean excludeSpecialTokens = true;
    private double denseThreshold = DEFAULT_DENSE_THRESHOLD;
    private Consumer<EvalProgress> progress = p -> { };

    /**
     * An evaluator for SAEs on this model (which needs a tokenizer).
     *
     * @param lm the model the SAEs are spliced into
     */
    public SaeEvaluator(LanguageModel lm) {
        this.lm = Objects.requireNonNull(lm, "lm");
    }

    /**
     * Texts per forward (default 8).
     *
     * @param size texts per forward, at least 1
     * @return this evaluator
     */
    public SaeEvaluator batchSize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + size);
        }
        this.batchSize = size;
        return this;
    }

    /**
     * Longest tokenized text, longer ones are truncated; 0 (the default) means the model's context.
     *
     * @param length the maximum number of tokens per text, or 0 for the model's context
     * @return this evaluator
     */
    public SaeEvaluator maxLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0 (0 = model context), got " + length);
        }
        this.maxLength = length;
        return this;
    }

    /**
     * Where padding goes (default right); the metrics do not depend on it.
     *
     * @param side the padding side
     * @return this evaluator
     */
    public SaeEvaluator paddingSide(PaddingSide side) {
        this.paddingSide = Objects.requireNonNull(side, "side");
        return this;
    }

    /**
     * Whether special tokens (BOS, EOS, {@code <|endoftext|>} in the text) are left out of the metrics (default on).
     *
     * @param on whether to leave special tokens out
     * @return this evaluator
     */
    public SaeEvaluator excludeSpecialTokens(boolean on) {
        this.excludeSpecialTokens = on;
        return this;
    }

    /**
     * Firing frequency above which a latent counts as dense (default {@value #DEFAULT_DENSE_THRESHOLD}).
     *
     * @param frequency the firing frequency, a fraction of the evaluated tokens
     * @return this evaluator
     */
    public SaeEvaluator denseThreshold(double frequency) {
        if (!(frequency >= 0 && frequency <= 1)) {
            throw new IllegalArgumentException("dense threshold must be a frequency in [0, 1], got " + frequency);
        }
        this.denseThreshold = frequency;
        return this;
    }

    /**
     * Called after every batch with the running totals.
     *
     * @param callback receives an {@link EvalProgress} after each batch
     * @return this evaluator
     */
    public SaeEvaluator progress(Consumer<EvalProgress> callback) {
        this.progress = Objects.requireNonNull(callback, "callback");
        return this;
    }

    /**
     * Evaluates the SAE at {@code layer} (name, alias or index) on the texts.
     *
     * @param sae the SAE, whose input width must be the layer's output width
     * @param layer name, alias or index of the layer
     * @param texts the texts to evaluate on
     * @return the metrics
     */
    public SaeEvaluation evaluate(Sae sae, String layer, List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to evaluate the SAE on: the list is empty");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("text " + i + " is null");
            }
        }
        Iterator<List<String>> batches = Datasets.fromTexts("the text list", texts).iterBatches(batchSize);
        return run(sae, layer, batches, texts.size(), "the text list");
    }

    /**
     * Evaluates the SAE at {@code layer} on every text of the dataset, in batches of {@link #batchSize(int)}.
     *
     * @param sae the SAE, whose input width must be the layer's output width
     * @param layer name, alias or index of the layer
     * @param texts the dataset to evaluate on
     * @return the metrics
     */
    public SaeEvaluation evaluate(Sae sae, String layer, TextDataset texts) {
        Objects.requireNonNull(texts, "texts");
        return run(sae, layer, texts.iterBatches(batchSize), texts.length().orElse(-1), texts.describe());
    }

    private SaeEvaluation run(Sae sae, String layer, Iterator<List<String>> batches, long totalTexts,
                              String source) {
        Objects.requireNonNull(sae, "sae");
        String canonical = lm.layers().resolve(layer);
        if (!lm.hasTokenizer()) {
            throw new IllegalStateException("this model has no tokenizer (no tokenizer.json), so texts cannot be "
                    + "evaluated");
        }
        int limit = maxLength == 0 ? lm.config().maxPositions() : Math.min(maxLength, lm.config().maxPositions());
        Accumulator acc = new Accumulator(sae.dSae());
        int batchCount = 0;
        long textCount = 0;
        while (batches.hasNext()) {
            List<String> batch = batches.next();
            if (batch.isEmpty()) {
                continue;
            }
            Encodings enc = lm.inference().tokenize(batch,
                    InferenceOptions.defaults().withMaxLength(limit).withPaddingSide(paddingSide));
            evaluateBatch(sae, canonical, enc, acc);
            batchCount++;
            textCount += batch.size();
            progress.accept(new EvalProgress(batchCount, textCount, acc.stats.tokens(), totalTexts));
        }
        if (textCount == 0) {
            throw new IllegalArgumentException("no texts to evaluate the SAE on: " + source + " is empty");
        }
        if (acc.stats.tokens() == 0) {
            throw new IllegalArgumentException("the " + textCount + " texts have no tokens left to evaluate"
                    + (excludeSpecialTokens ? " once special tokens are excluded; pass texts with ordinary words or "
                    + "turn off excludeSpecialTokens" : ""));
        }
        return acc.result(canonical, textCount, denseThreshold);
    }

    private void evaluateBatch(Sae sae, String layer, Encodings enc, Accumulator acc) {
        long[][] ids = enc.inputIds();
        long[][] mask = enc.attentionMask();
        long[][] special = enc.specialTokensMask();
        int b = ids.length;
        int s = ids[0].length;
        boolean[] keep = new boolean[b * s];
        boolean[] ceKeep = new boolean[b * s];
        long[] targets = new long[b * s];
        boolean all = true;
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < s; t++) {
                int k = i * s + t;
                keep[k] = mask[i][t] == 1 && !(excludeSpecialTokens && special[i][t] == 1);
                all &= keep[k];
                if (t + 1 < s) {
                    targets[k] = ids[i][t + 1];
                    ceKeep[k] = keep[k] && mask[i][t + 1] == 1;
                }
            }
        }
        InferenceOptions options = InferenceOptions.defaults();
        InferenceResult clean = null;
        NDArray logpClean = null;
        NDArray pClean = null;
        try {
            float[] x;
            int width;
            try (LayerActivationDetector detector = new LayerActivationDetector(layer)) {
                String id = lm.layers().registerHook(layer, detector);
                try {
                    clean = lm.inference().forward(ids, mask, null, options);
                } finally {
                    lm.layers().unregisterHook(id);
                }
                NDArray acts = detector.getCaptured();
                if (acts == null) {
                    throw new IllegalStateException("layer '" + layer + "' did not run during the forward, so there "
                            + "is nothing to feed the SAE; choose a layer that runs on every forward");
                }
                Shape shape = acts.getShape();
                sae.checkInputWidth(shape.dimension() == 0 ? 0 : shape.get(shape.dimension() - 1), layer);
                if (shape.dimension() != 3 || shape.get(0) != b || shape.get(1) != s) {
                    throw new IllegalArgumentException("layer '" + layer + "' outputs shape " + shape + "; the "
                            + "evaluator needs one vector per token, [batch=" + b + ", seq=" + s + ", d_in]");
                }
                width = (int) shape.get(2);
                x = acts.toFloatArray();
            }
            acc.addReconstruction(sae, x, keep, width);

            logpClean = clean.logits().logSoftmax(2);
            pClean = logpClean.exp();
            float[] ceClean = nll(logpClean, targets, b, s);
            boolean[] keepMask = keep;
            boolean allKept = all;
            UnaryOperator<NDArray> splice = a -> {
                NDArray out = sae.forward(a).toType(a.getDataType(), false);
                if (allKept) {
                    return out;
                }
                NDArray cond = a.getManager().create(keepMask, new Shape(b, s, 1)).broadcast(a.getShape());
                return NDArrays.where(cond, out, a);
            };
            float[][] spliced = changedPass(layer, splice, ids, mask, logpClean, pClean, targets, b, s);
            float[][] zero = changedPass(layer, NDArray::zerosLike, ids, mask, logpClean, pClean, targets, b, s);
            acc.addDownstream(ceClean, spliced[0], zero[0], spliced[1], zero[1], keep, ceKeep);
        } finally {
            if (pClean != null) {
                pClean.close();
            }
            if (logpClean != null) {
                logpClean.close();
            }
            if (clean != null) {
                clean.close();
            }
        }
    }

    /** Runs the model with the layer's output changed; returns per position {CE, KL(clean || changed)}. */
    private float[][] changedPass(String layer, UnaryOperator<NDArray> change, long[][] ids, long[][] mask,
                                  NDArray logpClean, NDArray pClean, long[] targets, int b, int s) {
        FunctionController controller = new FunctionController(layer, change);
        String id = lm.layers().registerHook(layer, controller);
        try (InferenceResult result = lm.inference().forward(ids, mask, null, InferenceOptions.defaults());
             NDArray logp = result.logits().logSoftmax(2);
             NDArray diff = logpClean.sub(logp);
             NDArray prod = pClean.mul(diff);
             NDArray kl = prod.sum(new int[] {2})) {
            return new float[][] {nll(logp, targets, b, s), kl.toFloatArray()};
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    /** Negative log-probability of each position's next token; the last column is meaningless (target 0). */
    private static float[] nll(NDArray logp, long[] targets, int b, int s) {
        try (NDArray index = logp.getManager().create(targets, new Shape(b, s, 1));
             NDArray picked = logp.gather(index, 2)) {
            float[] v = picked.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = -v[i];
            }
            return v;
        }
    }

    /** Running sums over batches. */
    private static final class Accumulator {
        final ReconstructionStats stats = new ReconstructionStats();
        final FeatureDensity density;
        double cossim;
        double normIn;
        double normOut;
        double hatSquared;
        double dot;
        double ceClean;
        double ceSpliced;
        double ceZero;
        long ceTokens;
        double klSpliced;
        double klZero;
        long klTokens;

        Accumulator(int dSae) {
            this.density = new FeatureDensity(dSae);
        }

        void addReconstruction(Sae sae, float[] all, boolean[] keep, int width) {
            int n = 0;
            for (boolean k : keep) {
                n += k ? 1 : 0;
            }
            if (n == 0) {
                return;
            }
            float[] x = new float[n * width];
            int row = 0;
            for (int k = 0; k < keep.length; k++) {
                if (keep[k]) {
                    System.arraycopy(all, k * width, x, row * width, width);
                    row++;
                }
            }
            float[] xHat;
            int[] counts;
            double codeSum = 0;
            try (NDManager m = sae.newManager()) {
                NDArray input = m.create(x, new Shape(n, width));
                NDArray codes = sae.encode(input);
                xHat = sae.decode(codes).toFloatArray();
                counts = codes.gt(0).sum(new int[] {0}).toType(DataType.INT32, false).toIntArray();
                for (float v : codes.sum(new int[] {1}).toFloatArray()) {
                    codeSum += v;
                }
            }
            long active = 0;
            for (int c : counts) {
                active += c;
            }
            stats.addReconstruction(x, xHat, n, width);
            stats.addCodes(n, active, codeSum);
            density.add(counts, n);
            for (int r = 0; r < n; r++) {
                double in2 = 0;
                double out2 = 0;
                double xy = 0;
                for (int c = r * width; c < (r + 1) * width; c++) {
                    in2 += (double) x[c] * x[c];
                    out2 += (double) xHat[c] * xHat[c];
                    xy += (double) x[c] * xHat[c];
                }
                normIn += Math.sqrt(in2);
                normOut += Math.sqrt(out2);
                cossim += in2 > 0 && out2 > 0 ? xy / Math.sqrt(in2 * out2) : 0;
                hatSquared += out2;
                dot += xy;
            }
        }

        void addDownstream(float[] clean, float[] spliced, float[] zero, float[] klS, float[] klZ, boolean[] keep,
                           boolean[] ceKeep) {
            for (int k = 0; k < keep.length; k++) {
                if (ceKeep[k]) {
                    ceClean += clean[k];
                    ceSpliced += spliced[k];
                    ceZero += zero[k];
                    ceTokens++;
                }
                if (keep[k]) {
                    klSpliced += klS[k];
                    klZero += klZ[k];
                    klTokens++;
                }
            }
        }

        SaeEvaluation result(String layer, long texts, double denseThreshold) {
            long n = stats.tokens();
            double ce = ceTokens == 0 ? Double.NaN : 1.0 / ceTokens;
            double kl = klTokens == 0 ? Double.NaN : 1.0 / klTokens;
            return new SaeEvaluation(layer, texts, n, ceTokens, stats.toMap(), cossim / n, normIn / n, normOut / n,
                    dot == 0 ? Double.NaN : hatSquared / dot,
                    ceClean * ce, ceSpliced * ce, ceZero * ce, klSpliced * kl, klZero * kl,
                    density.deadFraction(n), density.denseFraction(denseThreshold), denseThreshold,
                    density.frequencies());
        }
    }
}
