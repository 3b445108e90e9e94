package io.microw.hooks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.microw.nn.ForwardBatch;
import io.microw.nn.Module;

/**
 * One hook invocation: the layer, the module's inputs and (for FORWARD hooks) its outputs, and the batch they
 * belong to. Every tensor here lives only until the forward ends; copy what you keep.
 */
public final class HookCall {

    private final String layer;
    private final HookType hookType;
    private final Module module;
    private final NDList inputs;
    private final NDList outputs;
    private final ForwardBatch batch;
    private final NDManager manager;

    public HookCall(String layer, HookType hookType, Module module, NDList inputs, NDList outputs,
                    ForwardBatch batch, NDManager manager) {
        this.layer = layer;
        this.hookType = hookType;
        this.module = module;
        this.inputs = inputs;
        this.outputs = outputs;
        this.batch = batch;
        this.manager = manager;
    }

    /** Canonical name of the hooked layer. */
    public String layer() {
        return layer;
    }

    public HookType hookType() {
        return hookType;
    }

    /** The module being run. */
    public Module module() {
        return module;
    }

    /** All positional inputs of the module. */
    public NDList inputs() {
        return inputs;
    }

    /** The module's first input, or {@code null} if it has none. */
    public NDArray input() {
        return inputs == null || inputs.isEmpty() ? null : inputs.get(0);
    }

    /** All outputs of the module (for attention: output and pattern); {@code null} for PRE_FORWARD hooks. */
    public NDList outputs() {
        return outputs;
    }

    /** The module's main output; {@code null} for PRE_FORWARD hooks. */
    public NDArray output() {
        return outputs == null || outputs.isEmpty() ? null : outputs.get(0);
    }

    /** The tensor a controller replaces: the output for FORWARD hooks, the first input for PRE_FORWARD. */
    public NDArray activations() {
        return hookType == HookType.FORWARD ? output() : input();
    }

    /** Input ids, masks, positions and texts of the batch this call belongs to. */
    public ForwardBatch batch() {
        return batch;
    }

    /** The manager of this forward: arrays made with it are freed when the forward ends. */
    public NDManager manager() {
        return manager;
    }
}
