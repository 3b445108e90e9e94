package io.microw.hooks;

/** When a hook runs: after its module computed its output, or before the module runs (seeing its inputs). */
public enum HookType {
    /** Runs after the module; sees inputs and output; a controller may replace the output. */
    FORWARD,
    /** Runs before the module; sees its inputs; a controller may replace the first input. */
    PRE_FORWARD
}
