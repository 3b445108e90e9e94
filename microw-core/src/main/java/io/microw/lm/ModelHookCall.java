package io.microw.lm;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.nn.ForwardBatch;
import io.microw.nn.Module;

/**
 * The {@link HookCall} the model builds for each run of a hooked module.
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
record ModelHookCall(String layer, HookType hookType, Module module, NDList inputs, NDList outputs,
                     ForwardBatch batch, NDManager manager) implements HookCall {
}
