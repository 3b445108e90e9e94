package io.microw.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The arithmetic every attention module shares, on tensors laid out [batch, heads, seq, headDim]:
 * scores with scaling, optional soft-capping and an additive mask, and grouped-query key/value sharing.
 */
public final class AttentionCore {

    private AttentionCore() {
    }

    /**
     * Attention probabilities [batch, heads, query, key]: softmax(cap(q kᵀ · scale) + bias), where cap is
     * {@code softcap · tanh(x / softcap)} when {@code softcap > 0} (Gemma 2) and the identity otherwise. With
     * grouped-query attention (fewer key heads than query heads) query head h reads key head h / (heads / kvHeads),
     * without copying the keys once per query head.
     *
     * @param q       queries [batch, heads, query, headDim]
     * @param k       keys [batch, kvHeads, key, headDim], kvHeads dividing heads
     * @param bias    additive mask, broadcastable to [batch, heads, query, key]
     * @param scale   factor on the scores, usually 1 / sqrt(headDim)
     * @param softcap the soft cap, or 0 for none
     * @return the attention pattern, each row summing to 1
     */
    public static NDArray pattern(NDArray q, NDArray k, NDArray bias, float scale, float softcap) {
        Shape qs = q.getShape();
        long keys = k.getShape().get(2);
        // the scale goes on the keys (shared key heads make them smaller still), except for a single query position (a
        // decoding step with a cache), whose scores are far smaller than the cached keys. The choice does not depend on
        // a batch's padded length, so a text's activations do not depend on the texts it is batched with.
        boolean scaleScores = qs.get(2) == 1;
        NDArray scaledK = scaleScores ? k : Autograd.times(k, scale);
        NDArray scores = grouped(q, k.getShape().get(1)).matMul(scaledK.transpose(0, 1, 3, 2));
        if (scaleScores) {
            scores = Autograd.times(scores, scale);
        }
        scores = ungrouped(scores, qs.get(0), qs.get(1), qs.get(2), keys);
        if (softcap > 0) {
            scores = Autograd.mul(Autograd.div(scores, softcap).tanh(), softcap);
        }
        return scores.addi(bias).softmax(-1);
    }

    /**
     * The attention-weighted values z = pattern · v, with grouped-query sharing as in {@link #pattern}.
     *
     * @param pattern attention probabilities [batch, heads, query, key]
     * @param v       values [batch, kvHeads, key, headDim], kvHeads dividing heads
     * @return z [batch, heads, query, headDim]
     */
    public static NDArray weigh(NDArray pattern, NDArray v) {
        Shape ps = pattern.getShape();
        NDArray z = grouped(pattern, v.getShape().get(1)).matMul(v);
        return ungrouped(z, ps.get(0), ps.get(1), ps.get(2), v.getShape().get(3));
    }

    /**
     * x [batch, heads, rows, cols] as [batch, kvHeads, (heads / kvHeads) · rows, cols]: the query heads that share
     * a key/value head, one after another, so that one product with that head serves them all.
     */
    private static NDArray grouped(NDArray x, long kvHeads) {
        Shape s = x.getShape();
        long heads = s.get(1);
        if (heads == kvHeads) {
            return x;
        }
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException(heads + " query heads cannot share " + kvHeads
                    + " key/value heads; the query heads must be a multiple of the key/value heads");
        }
        return x.reshape(s.get(0), kvHeads, heads / kvHeads * s.get(2), s.get(3));
    }

    /** The inverse of {@link #grouped}: back to [batch, heads, rows, cols] (a view; nothing is copied). */
    private static NDArray ungrouped(NDArray x, long batch, long heads, long rows, long cols) {
        return x.getShape().get(1) == heads ? x : x.reshape(batch, heads, rows, cols);
    }

    /**
     * [batch, seq, heads, headDim] to [batch, heads, seq, headDim] and back.
     *
     * @param x a rank-4 tensor
     * @return {@code x} with dimensions 1 and 2 swapped
     */
    public static NDArray swapSeqAndHeads(NDArray x) {
        return x.transpose(0, 2, 1, 3);
    }
}
