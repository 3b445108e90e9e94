package io.microw.nn.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** Builds additive attention biases from padding masks. */
public final class AttentionMasks {

    /** Added to scores of keys a query may not see; large but finite, so fully masked rows stay NaN-free. */
    public static final float MASKED = -1e30f;

    private AttentionMasks() {
    }

    /**
     * Causal plus padding bias [batch, 1, seq, total] for the last {@code seq} of {@code total} positions:
     * query i (absolute position total - seq + i) sees key j when j is at or before it and the mask is 1 there.
     *
     * @param manager       owns the result
     * @param attentionMask int64 [batch, total], 1 for real tokens
     * @param seq           number of query positions, the last of the {@code total}
     * @return 0 where visible, {@link #MASKED} elsewhere
     */
    public static NDArray causalBias(NDManager manager, NDArray attentionMask, int seq) {
        return causalBias(manager, attentionMask, seq, 0);
    }

    /**
     * Causal, padding and sliding-window bias: as {@link #causalBias(NDManager, NDArray, int)}, and with a
     * window w > 0 query i also does not see keys at i - w or earlier (as Hugging Face's sliding window).
     *
     * @param manager       owns the result
     * @param attentionMask int64 [batch, total], 1 for real tokens
     * @param seq           number of query positions, the last of the {@code total}
     * @param slidingWindow the window w, or 0 for none
     * @return [batch, 1, seq, total]: 0 where visible, {@link #MASKED} elsewhere
     */
    public static NDArray causalBias(NDManager manager, NDArray attentionMask, int seq, int slidingWindow) {
        long[] mask = attentionMask.toLongArray();
        int batch = (int) attentionMask.getShape().get(0);
        int total = (int) attentionMask.getShape().get(1);
        int past = total - seq;
        float[] bias = new float[batch * seq * total];
        int at = 0;
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < seq; i++) {
                for (int j = 0; j < total; j++) {
                    boolean visible = j <= past + i && mask[b * total + j] != 0
                            && (slidingWindow <= 0 || past + i - j < slidingWindow);
                    bias[at++] = visible ? 0f : MASKED;
                }
            }
        }
        return manager.create(bias, new Shape(batch, 1, seq, total));
    }

    /**
     * Padding-only bias [batch, 1, 1, total] for bidirectional encoders.
     *
     * @param manager       owns the result
     * @param attentionMask int64 [batch, total], 1 for real tokens
     * @return 0 for real tokens, {@link #MASKED} for padding
     */
    public static NDArray paddingBias(NDManager manager, NDArray attentionMask) {
        long[] mask = attentionMask.toLongArray();
        int batch = (int) attentionMask.getShape().get(0);
        int total = (int) attentionMask.getShape().get(1);
        float[] bias = new float[batch * total];
        for (int i = 0; i < bias.length; i++) {
            bias[i] = mask[i] != 0 ? 0f : MASKED;
        }
        return manager.create(bias, new Shape(batch, 1, 1, total));
    }
}
