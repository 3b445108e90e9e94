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

    /**
     * One invocation of a hook, built by the registry for each forward of a hooked module.
     *
     * @param layer    canonical name of the hooked layer
     * @param hookType FORWARD, PRE_FORWARD or BACKWARD
     * @param module   the module being run
     * @param inputs   the module's positional inputs
     * @param outputs  the module's outputs, {@code null} for PRE_FORWARD hooks; for BACKWARD, the gradient at the
     *                 module's output
     * @param batch    the batch being run
     * @param manager  the forward's manager, closed when the forward ends (for BACKWARD, the backward step's)
     */
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

    /**
     * Canonical name of the hooked layer.
     *
     * @return the layer name
     */
    public String layer() {
        return layer;
    }

    /**
     * Whether this call runs after (FORWARD) or before (PRE_FORWARD) the module.
     *
     * @return the hook type
     */
    public HookType hookType() {
        return hookType;
    }

    /**
     * The module being run.
     *
     * @return the module
     */
    public Module module() {
        return module;
    }

    /**
     * All positional inputs of the module.
     *
     * @return the inputs
     */
    public NDList inputs() {
        return inputs;
    }

    /**
     * The module's first input, or {@code null} if it has none.
     *
     * @return the first input, or {@code null}
     */
    public NDArray input() {
        return inputs == null || inputs.isEmpty() ? null : inputs.get(0);
    }

    /**
     * All outputs of the module (for attention: output and pattern); {@code null} for PRE_FORWARD hooks.
     *
     * @return the outputs, or {@code null}
     */
    public NDList outputs() {
        return outputs;
    }

    /**
     * The module's main output; {@code null} for PRE_FORWARD hooks.
     *
     * @return the first output, or {@code null}
     */
    public NDArray output() {
        return outputs == null || outputs.isEmpty() ? null : outputs.get(0);
    }

    /**
     * The tensor a hook works on: the output for FORWARD hooks, the first input for PRE_FORWARD, the gradient at
     * the output for BACKWARD.
     *
     * @return the output (or its gradient) or the first input, depending on the hook type
     */
    public NDArray activations() {
        return hookType == HookType.PRE_FORWARD ? input() : output();
    }

    /**
     * Input ids, masks, positions and texts of the batch this call belongs to.
     *
     * @return the batch
     */
    public ForwardBatch batch() {
        return batch;
    }

    /**
     * The manager of this forward (for BACKWARD, of this step of the backward pass): arrays made with it are freed
     * when it ends.
     *
     * @return the forward's manager
     */
    public NDManager manager() {
        return manager;
    }
}
