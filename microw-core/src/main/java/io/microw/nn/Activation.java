package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDList;

/** A module applying an {@link ActivationFunction} (GPT-2's {@code mlp.act}). */
public final class Activation extends Module {

    private final ActivationFunction function;

    /**
     * An activation module.
     *
     * @param name     the module's full Hugging Face name
     * @param function the function it applies
     */
    public Activation(String name, ActivationFunction function) {
        super(name);
        this.function = function;
    }

    @Override
    public String typeName() {
        return "Activation(" + function.configName() + ")";
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        return new NDList(function.apply(inputs.head()));
    }
}
