package io.microw.nn;

import ai.djl.ndarray.NDArray;

/**
 * The arithmetic every attention module shares, on tensors laid out [batch, heads, seq, headDim]:
 * scores with scaling, optional soft-capping and an additive mask, and grouped-query key/value sharing.
 */
public final class AttentionCore {

    private AttentionCore() {
    }

    /**
     * Attention probabilities [batch, heads, query, key]: softmax(cap(q kᵀ · scale) + bias), where cap is
     * {@code softcap · tanh(x / softcap)} when {@code softcap > 0} (Gemma 2) and the identity otherwise.
     *
     * @param q       queries [batch, heads, query, headDim]
     * @param k       keys [batch, heads, key, headDim]
     * @param bias    additive mask, broadcastable to [batch, heads, query, key]
     * @param scale   factor on the scores, usually 1 / sqrt(headDim)
     * @param softcap the soft cap, or 0 for none
     * @return the attention pattern, each row summing to 1
     */
    public static NDArray pattern(NDArray q, NDArray k, NDArray bias, float scale, float softcap) {
        NDArray scores = Autograd.times(q, scale).matMul(k.transpose(0, 1, 3, 2));
        if (softcap > 0) {
            scores = Autograd.mul(Autograd.div(scores, softcap).tanh(), softcap);
        }
        return scores.addi(bias).softmax(-1);
    }

    /**
     * Repeats each of the kv heads {@code groups} times in place order, so kv head i serves query heads i*g..i*g+g-1.
     *
     * @param kv     keys or values [batch, kvHeads, seq, headDim]
     * @param groups query heads per kv head
     * @return [batch, kvHeads * groups, seq, headDim]; {@code kv} itself when {@code groups} is 1
     */
    public static NDArray repeatKv(NDArray kv, int groups) {
        return groups == 1 ? kv : kv.repeat(1, groups);
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
