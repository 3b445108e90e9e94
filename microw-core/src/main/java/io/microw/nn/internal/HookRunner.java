package io.microw.nn.internal;

import io.microw.nn.Module;
import ai.djl.ndarray.NDList;

/** Runs the hooks registered on a module around its forward; implemented by the hook registry. */
public interface HookRunner {

    /**
     * Runs PRE_FORWARD hooks and returns the (possibly replaced) inputs.
     *
     * @param module the module about to run
     * @param inputs its inputs
     * @param ctx    the forward
     * @return the inputs the module runs on
     */
    NDList beforeForward(Module module, NDList inputs, ForwardContext ctx);

    /**
     * Runs FORWARD hooks and returns the (possibly replaced) outputs.
     *
     * @param module  the module that ran
     * @param inputs  the inputs it ran on
     * @param outputs its outputs
     * @param ctx     the forward
     * @return the outputs passed on
     */
    NDList afterForward(Module module, NDList inputs, NDList outputs, ForwardContext ctx);

    /**
     * The outputs a hook supplies instead of running the module (after its PRE_FORWARD hooks, before its FORWARD
     * hooks), or {@code null} to run it.
     *
     * @param module the module about to run
     * @param inputs the inputs it would run on
     * @param ctx    the forward
     * @return the replacement outputs, or {@code null} (the default) to run the module
     */
    default NDList insteadOfForward(Module module, NDList inputs, ForwardContext ctx) {
        return null;
    }

    /**
     * Whether any hook of this forward is registered on a module below this one (its own hooks do not count: they run
     * outside its scope and see only its inputs and outputs). A forward frees the intermediate tensors of a module
     * with no hook below it as soon as the module returns.
     *
     * @param module a module of the model
     * @return true (the default) when a hook may see a tensor made inside the module
     */
    default boolean observesWithin(Module module) {
        return true;
    }

    /** Runs no hooks. */
    HookRunner NONE = new HookRunner() {
        @Override
        public boolean observesWithin(Module module) {
            return false;
        }

        @Override
        public NDList beforeForward(Module module, NDList inputs, ForwardContext ctx) {
            return inputs;
        }

        @Override
        public NDList afterForward(Module module, NDList inputs, NDList outputs, ForwardContext ctx) {
            return outputs;
        }
    };
}
