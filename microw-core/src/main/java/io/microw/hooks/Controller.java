package io.microw.hooks;

import ai.djl.ndarray.NDArray;

/**
 * A hook that changes activations. A FORWARD controller returns the replacement for its module's output, a
 * PRE_FORWARD controller the replacement for its module's first input, a BACKWARD controller (in gradient calls) the
 * gradient to send upstream in place of the one arriving at its module's output. Returning {@code null} leaves the
 * tensor unchanged. The tensor a controller is shown is its own copy: editing it in place cannot corrupt
 * the model. The replacement must have the shape of the tensor it replaces.
 */
public interface Controller extends Hook {

    /**
     * Returns the replacement tensor, or {@code null} to keep the original.
     *
     * @param call the invocation; {@link HookCall#activations()} is the tensor to replace
     * @return the replacement, of the same shape, or {@code null} to keep the original
     */
    NDArray modifyActivations(HookCall call);
}
