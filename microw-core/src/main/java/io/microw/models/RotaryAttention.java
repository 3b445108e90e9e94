package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.microw.nn.AttentionCore;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.HookPoint;
import io.microw.nn.internal.KvCache;
import io.microw.nn.Module;
import io.microw.nn.RotaryEmbedding;

/**
 * The part of a rotary decoder's self-attention that does not depend on how q, k and v are projected: hook
 * points {@code hook_q}, {@code hook_k}, {@code hook_v} (per head, before rotation), rotary embedding, the KV
 * cache (rotated keys), grouped-query sharing, optional soft-capping and sliding window, {@code hook_pattern}
 * and {@code hook_z}. A family's attention module adds its projections around {@link #addHookPoints()} and
 * calls {@link #attend}.
 */
abstract class RotaryAttention extends Module {

    private final int layerIndex;
    private final int heads;
    private final int headDim;
    private final float scale;
    private final float softcap;
    private final int slidingWindow;
    private HookPoint hookQ;
    private HookPoint hookK;
    private HookPoint hookV;
    private HookPoint hookPattern;
    private HookPoint hookZ;

    /**
     * @param softcap       attention logit soft-cap, or 0 for none
     * @param slidingWindow how many positions a query sees (itself included), or 0 for all earlier ones
     */
    RotaryAttention(String name, int layerIndex, int heads, int kvHeads, int headDim, float scale, float softcap,
                    int slidingWindow) {
        super(name);
        if (kvHeads <= 0 || heads % kvHeads != 0) {
            throw new ModelLoadException(name + ": " + heads + " attention heads cannot be shared among " + kvHeads
                    + " key/value heads; num_attention_heads must be a multiple of num_key_value_heads");
        }
        this.layerIndex = layerIndex;
        this.heads = heads;
        this.headDim = headDim;
        this.scale = scale;
        this.softcap = softcap;
        this.slidingWindow = slidingWindow;
    }

    /** Adds the hook points as children; call it where they run, after the input projections. */
    protected final void addHookPoints() {
        hookQ = add(new HookPoint(child("hook_q")));
        hookK = add(new HookPoint(child("hook_k")));
        hookV = add(new HookPoint(child("hook_v")));
        hookPattern = add(new HookPoint(child("hook_pattern")));
        hookZ = add(new HookPoint(child("hook_z")));
    }

    protected final int heads() {
        return heads;
    }

    protected final int headDim() {
        return headDim;
    }

    /**
     * Attention of projected q [batch, seq, heads, headDim] and k, v [batch, seq, kvHeads, headDim] (not yet
     * rotated) with (cos, sin) from the model's rotary embedding. Returns z merged to [batch, seq, heads·headDim]
     * and the pattern [batch, heads, query, key].
     */
    protected final NDList attend(ForwardContext ctx, NDArray q, NDArray k, NDArray v, NDArray cos, NDArray sin) {
        long batch = q.getShape().get(0);
        long seq = q.getShape().get(1);
        NDArray qh = RotaryEmbedding.rotate(AttentionCore.swapSeqAndHeads(hookQ.call(ctx, q)), cos, sin);
        NDArray kh = RotaryEmbedding.rotate(AttentionCore.swapSeqAndHeads(hookK.call(ctx, k)), cos, sin);
        NDArray vh = AttentionCore.swapSeqAndHeads(hookV.call(ctx, v));
        KvCache cache = ctx.kvCache();
        if (cache != null) {
            NDList all = cache.update(layerIndex, kh, vh);
            kh = all.get(0);
            vh = all.get(1);
        }
        NDArray pattern = hookPattern.call(ctx, AttentionCore.pattern(qh, kh, ctx.attentionBias(slidingWindow), scale,
                softcap));
        NDArray z = hookZ.call(ctx, AttentionCore.swapSeqAndHeads(AttentionCore.weigh(pattern, vh)));
        return new NDList(z.reshape(batch, seq, (long) heads * headDim), pattern);
    }
}
