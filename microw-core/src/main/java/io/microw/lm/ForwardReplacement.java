package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.BaseHook;
import io.microw.hooks.HookType;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.Module;

/**
 * A per-call hook that supplies a module's output without running the module ({@link HookDispatcher} asks it
 * before the forward); neither a detector nor a controller, so the module's other hooks run as usual around it.
 */
final class ForwardReplacement extends BaseHook {

    /** Computes a module's output from its first input. */
    @FunctionalInterface
    interface Output {
        NDArray of(Module module, NDArray input, ForwardContext ctx);
    }

    private final Output output;

    ForwardReplacement(String layer, Output output) {
        super(HookType.FORWARD, layer);
        this.output = output;
    }

    NDArray output(Module module, NDArray input, ForwardContext ctx) {
        return output.of(module, input, ctx);
    }
}
