package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;

/**
 * The per-call backward controller of {@link Interventions#stopGradient}: the gradient sent upstream from its layer is
 * zero. {@link BackwardHooks} recognizes it and, when no later controller on the layer replaces the zeros, does not
 * continue the backward from there at all.
 */
final class StopGradient extends BaseHook implements Controller {

    /**
     * A stop on one layer.
     *
     * @param layer the canonical layer name
     */
    StopGradient(String layer) {
        super(HookType.BACKWARD, layer, "stopGradient");
    }

    @Override
    public NDArray modifyActivations(HookCall call) {
        return call.activations().zerosLike();
    }
}
