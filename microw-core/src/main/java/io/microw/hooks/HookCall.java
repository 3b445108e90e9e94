package io.microw.hooks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.microw.nn.ForwardBatch;
import io.microw.nn.Module;

/**
 * One hook invocation: the layer, the module's inputs and (for FORWARD hooks) its outputs, and the batch they
 * belong to. Every tensor here lives only until the forward ends; copy what you keep. The model builds the calls;
 * user code only reads them.
 */
public interface HookCall {

    /**
     * Canonical name of the hooked layer.
     *
     * @return the layer name
     */
    String layer();

    /**
     * Whether this call runs after (FORWARD) or before (PRE_FORWARD) the module.
     *
     * @return the hook type
     */
    HookType hookType();

    /**
     * The module being run.
     *
     * @return the module
     */
    Module module();

    /**
     * All positional inputs of the module.
     *
     * @return the inputs
     */
    NDList inputs();

    /**
     * The module's first input, or {@code null} if it has none.
     *
     * @return the first input, or {@code null}
     */
    default NDArray input() {
        return inputs() == null || inputs().isEmpty() ? null : inputs().get(0);
    }

    /**
     * All outputs of the module (for attention: output and pattern); {@code null} for PRE_FORWARD hooks.
     *
     * @return the outputs, or {@code null}
     */
    NDList outputs();

    /**
     * The module's main output; {@code null} for PRE_FORWARD hooks.
     *
     * @return the first output, or {@code null}
     */
    default NDArray output() {
        return outputs() == null || outputs().isEmpty() ? null : outputs().get(0);
    }

    /**
     * The tensor a hook works on: the output for FORWARD hooks, the first input for PRE_FORWARD, the gradient at
     * the output for BACKWARD.
     *
     * @return the output (or its gradient) or the first input, depending on the hook type
     */
    default NDArray activations() {
        return hookType() == HookType.PRE_FORWARD ? input() : output();
    }

    /**
     * Input ids, masks, positions and texts of the batch this call belongs to.
     *
     * @return the batch
     */
    ForwardBatch batch();

    /**
     * The manager of this forward (for BACKWARD, of this step of the backward pass): arrays made with it are freed
     * when it ends.
     *
     * @return the forward's manager
     */
    NDManager manager();
}
