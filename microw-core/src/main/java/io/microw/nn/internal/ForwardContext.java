package io.microw.nn.internal;

import io.microw.nn.Autograd;
import io.microw.nn.ForwardBatch;
import io.microw.nn.HookPoint;
import io.microw.nn.Module;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The state of one forward pass: its manager (the intermediate tensors a hook can see belong to it and are freed
 * with it; a module that no hook observes frees its own when it returns), the batch, the
 * hooks to run, an optional KV cache and an optional layer to stop after.
 */
public final class ForwardContext {

    private final NDManager manager;
    private final ForwardBatch batch;
    private final HookRunner hooks;
    private final KvCache kvCache;
    private final String stopAfter;
    private final PackedWeights packedWeights;
    private static final int PADDING_ONLY = -1;
    private final Map<Integer, NDArray> biases = new HashMap<>();
    private NDManager scope;

    /**
     * The state of a forward about to run.
     *
     * @param manager   owns every tensor of the forward
     * @param batch     what the forward runs on
     * @param hooks     the hooks to run around each module ({@link HookRunner#NONE} for none)
     * @param kvCache   the generation's KV cache, or {@code null}
     * @param stopAfter the name of the module after which the forward stops with {@link ForwardStopped}, or {@code null}
     */
    public ForwardContext(NDManager manager, ForwardBatch batch, HookRunner hooks, KvCache kvCache, String stopAfter) {
        this(manager, batch, hooks, kvCache, stopAfter, null);
    }

    /**
     * The state of a generation's forward about to run, with weights packed for its products of few rows.
     *
     * @param manager       owns every tensor of the forward
     * @param batch         what the forward runs on
     * @param hooks         the hooks to run around each module ({@link HookRunner#NONE} for none)
     * @param kvCache       the generation's KV cache, or {@code null}
     * @param stopAfter     the name of the module after which the forward stops with {@link ForwardStopped}, or
     *                      {@code null}
     * @param packedWeights the generation's packed weights, or {@code null} for libtorch's products throughout
     */
    public ForwardContext(NDManager manager, ForwardBatch batch, HookRunner hooks, KvCache kvCache, String stopAfter,
                          PackedWeights packedWeights) {
        this.packedWeights = packedWeights;
        this.manager = manager;
        this.batch = batch;
        this.hooks = hooks;
        this.kvCache = kvCache;
        this.stopAfter = stopAfter;
        this.scope = manager;
    }

    /**
     * The forward's manager: intermediate tensors made with it are freed when the forward ends.
     *
     * @return the manager
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * The batch this forward runs on.
     *
     * @return the batch
     */
    public ForwardBatch batch() {
        return batch;
    }

    /**
     * The KV cache of a generation, or {@code null}.
     *
     * @return the cache, or {@code null} outside generation
     */
    public KvCache kvCache() {
        return kvCache;
    }

    /**
     * The generation's weights packed for products of few rows, if it has them.
     *
     * @return the packed weights, or empty
     */
    public Optional<PackedWeights> packedWeights() {
        return Optional.ofNullable(packedWeights);
    }

    /**
     * The positions of the last hidden state that the output head should turn into logits. During generation (a KV
     * cache present) only the last position's logits choose the next token, so the head runs on that position alone,
     * as Hugging Face's {@code generate} does ({@code logits_to_keep=1}): hooks on the head then see [batch, 1, ...].
     * Otherwise every position.
     *
     * @param hidden the last hidden state [batch, seq, hidden]
     * @return {@code hidden}, or its last position [batch, 1, hidden] during generation
     */
    public NDArray headPositions(NDArray hidden) {
        long seq = hidden.getShape().get(1);
        return kvCache == null || seq == 1 ? hidden : hidden.get(new NDIndex(":, {}:, :", seq - 1));
    }

    /**
     * Additive causal attention bias [batch, 1, seq, past + seq] (0 where allowed), made once per forward.
     *
     * @return the bias, shared by every attention module of the forward
     */
    public NDArray attentionBias() {
        return attentionBias(0);
    }

    /**
     * Additive causal attention bias that also hides keys more than {@code slidingWindow - 1} positions back
     * (0: no window), made once per forward and window size.
     *
     * @param slidingWindow the window length, or 0 for none
     * @return [batch, 1, seq, past + seq] bias, shared by every module asking for the same window
     */
    public NDArray attentionBias(int slidingWindow) {
        return biases.computeIfAbsent(slidingWindow,
                w -> AttentionMasks.causalBias(manager, batch.attentionMask(), batch.seqLength(), w));
    }

    /**
     * Additive padding-only bias [batch, 1, 1, seq] for bidirectional encoders, made once per forward.
     *
     * @return the bias, shared by every attention module of the forward
     */
    public NDArray paddingBias() {
        return biases.computeIfAbsent(PADDING_ONLY, w -> AttentionMasks.paddingBias(manager, batch.attentionMask()));
    }

    /**
     * Runs {@code module} on {@code inputs} inside this forward: its hooks around it, its temporaries freed.
     *
     * @param module the module to run
     * @param inputs its inputs
     * @return its outputs
     */
    public NDList run(Module module, NDList inputs) {
        NDList in = hooks.beforeForward(module, inputs, this);
        NDList replaced = hooks.insteadOfForward(module, in, this);
        NDList out = replaced != null ? replaced : runScoped(module, in);
        out = hooks.afterForward(module, in, out, this);
        if (module.name().equals(stopAfter)) {
            throw new ForwardStopped(stopAfter, out);
        }
        return out;
    }

    /**
     * Runs the module itself, in a scope of its own when it {@linkplain #freesEarly frees early}. The module's own
     * hooks run outside that scope (see {@link #run}): they see its inputs and kept outputs, and what they make lives
     * as long as it would without the scope.
     */
    private NDList runScoped(Module module, NDList inputs) {
        if (!freesEarly(module)) {
            return module.runForward(this, inputs);
        }
        NDManager outer = scope;
        try (ModuleScope local = new ModuleScope(outer, inputs)) {
            scope = local.manager();
            return local.keep(module.runForward(this, inputs));
        } finally {
            scope = outer;
        }
    }

    /**
     * Whether the module's intermediate tensors can be freed when it returns: no hook is registered below it, the
     * forward does not stop inside it, and autograd (the backward reads them) does not need them afterwards. The KV
     * cache keeps its own buffers, so it does not stop this. A hook point makes nothing, so it is not worth a scope.
     */
    private boolean freesEarly(Module module) {
        if (module instanceof HookPoint || Autograd.recording() || hooks.observesWithin(module)) {
            return false;
        }
        String name = module.name();
        return stopAfter == null || !(name.isEmpty() || stopAfter.equals(name) || stopAfter.startsWith(name + "."));
    }
}
