package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Gradients of some model weights over one backward pass: turns them on, reads them, then clears them and turns
 * them off again on close, so the model's plain forward stays free of autograd.
 */
final class WeightGradients implements AutoCloseable {

    private final ModelParameters parameters;
    private final Map<String, NDArray> weights = new LinkedHashMap<>();

    private WeightGradients(ModelParameters parameters, Set<String> names) {
        this.parameters = parameters;
        names.forEach(name -> weights.put(name, parameters.get(name)));
    }

    /** Starts tracking the gradients of the named weights (checkpoint names). */
    static WeightGradients track(ModelParameters parameters, Set<String> names) {
        WeightGradients tracked = new WeightGradients(parameters, names);
        tracked.weights.values().forEach(w -> w.setRequiresGradient(true));
        return tracked;
    }

    /** After the backward pass: a copy of each weight's gradient in the checkpoint's layout, owned by {@code into}. */
    Map<String, NDArray> read(NDManager into) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        weights.forEach((name, w) -> {
            try (NDArray gradient = w.getGradient()) {
                NDArray copy = gradient.duplicate();
                copy.attach(into);
                out.put(name, parameters.inCheckpointLayout(name, copy));
            }
        });
        return out;
    }

    /** Clears the accumulated gradients (the next call starts from zero) and stops tracking. */
    @Override
    public void close() {
        weights.values().forEach(w -> {
            try (NDManager scope = w.getManager().newSubManager()) {
                NDArray gradient = w.getGradient();
                gradient.attach(scope);
                gradient.set(new NDIndex("..."), 0f);
            }
            w.setRequiresGradient(false);
        });
    }
}
