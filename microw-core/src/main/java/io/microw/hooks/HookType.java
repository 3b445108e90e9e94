package io.microw.hooks;

/**
 * When a hook runs: after its module computed its output, before the module runs (seeing its inputs), or in the
 * backward pass of a gradient call (seeing the gradient at the module's output).
 */
public enum HookType {
    /** Runs after the module; sees inputs and output; a controller may replace the output. */
    FORWARD,
    /** Runs before the module; sees its inputs; a controller may replace the first input. */
    PRE_FORWARD,
    /**
     * Runs in the backward pass of a gradient call ({@code LanguageModel.gradients()}) on the gradient arriving at
     * the module's output (d metric / d output, shown as the call's output): a detector sees it, a controller returns
     * the gradient to send upstream instead (clipping, scaling, zero to stop it). Plain forwards have no backward pass
     * and never run it.
     */
    BACKWARD
}
