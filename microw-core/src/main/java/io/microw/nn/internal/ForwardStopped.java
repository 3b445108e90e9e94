package io.microw.nn.internal;

import ai.djl.ndarray.NDList;

/** Thrown through the model when the forward reaches its stop layer; carries that layer's outputs. */
public final class ForwardStopped extends RuntimeException {

    /**
     * The canonical name of the layer the forward stopped after.
     */
    private final String layer;
    private final transient NDList outputs;

    ForwardStopped(String layer, NDList outputs) {
        super("forward stopped after " + layer, null, false, false);
        this.layer = layer;
        this.outputs = outputs;
    }

    /**
     * The layer the forward stopped after.
     *
     * @return its full name
     */
    public String layer() {
        return layer;
    }

    /**
     * The outputs of that layer, after its FORWARD hooks; they belong to the forward's manager.
     *
     * @return the outputs
     */
    public NDList outputs() {
        return outputs;
    }
}
