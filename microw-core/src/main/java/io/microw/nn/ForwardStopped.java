package io.microw.nn;

import ai.djl.ndarray.NDList;

/** Thrown through the model when the forward reaches its stop layer; carries that layer's outputs. */
public final class ForwardStopped extends RuntimeException {

    private final String layer;
    private final transient NDList outputs;

    ForwardStopped(String layer, NDList outputs) {
        super("forward stopped after " + layer, null, false, false);
        this.layer = layer;
        this.outputs = outputs;
    }

    public String layer() {
        return layer;
    }

    public NDList outputs() {
        return outputs;
    }
}
