package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDList;

/**
 * An identity module placed where Hugging Face has no module but researchers want to look
 * ({@code hook_resid_pre}, {@code hook_q}, {@code hook_pattern}, ...). Its output is its input.
 */
public final class HookPoint extends Module {

    /**
     * A hook point.
     *
     * @param name the hook point's full name, e.g. {@code transformer.h.0.hook_resid_pre}
     */
    public HookPoint(String name) {
        super(name);
    }

    @Override
    public String typeName() {
        return "HookPoint";
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        return new NDList(inputs.head());
    }
}
