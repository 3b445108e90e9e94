package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDList;

/** Dropout as it runs at inference: the identity. Kept as a module so its HF name can be hooked. */
public final class Dropout extends Module {

    /**
     * An identity module standing for a dropout.
     *
     * @param name the module's full Hugging Face name
     */
    public Dropout(String name) {
        super(name);
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        return new NDList(inputs.head());
    }
}
