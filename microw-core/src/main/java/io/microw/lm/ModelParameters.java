package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.microw.models.Init;
import io.microw.models.ParameterSource;
import io.microw.util.EditDistance;

import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The parameters a model was built from, by checkpoint name: a {@link ParameterSource} that passes every parameter
 * through and remembers the tensor the model uses (and whether that is the stored one transposed), so gradients can
 * be asked for by the names and in the layout a checkpoint uses.
 */
final class ModelParameters implements ParameterSource {

    private final ParameterSource source;
    private final Map<String, NDArray> byName = new LinkedHashMap<>();
    private final Set<String> transposed = new HashSet<>();

    ModelParameters(ParameterSource source) {
        this.source = source;
    }

    @Override
    public NDArray get(String name, Shape shape, Init init) {
        NDArray parameter = source.get(name, shape, init);
        byName.put(name, parameter);
        return parameter;
    }

    @Override
    public NDArray getTransposed(String name, Shape storedShape, Init init) {
        NDArray parameter = source.getTransposed(name, storedShape, init);
        byName.put(name, parameter);
        transposed.add(name);
        return parameter;
    }

    @Override
    public boolean has(String name) {
        return source.has(name);
    }

    /** A gradient of {@link #get}'s tensor in the checkpoint's layout: a view of it in its manager, or itself. */
    NDArray inCheckpointLayout(String name, NDArray gradient) {
        return transposed.contains(name) ? gradient.transpose() : gradient;
    }

    /**
     * The tensor the model uses for the parameter stored under a checkpoint name (in the model's layout); an unknown
     * name is an error naming the closest ones.
     */
    NDArray get(String name) {
        NDArray parameter = byName.get(name);
        if (parameter == null) {
            String closest = byName.keySet().stream()
                    .sorted(Comparator.comparingInt(n -> EditDistance.between(n, name)))
                    .limit(3)
                    .collect(Collectors.joining(", "));
            throw new IllegalArgumentException("the model has no parameter '" + name + "'; parameters are named as "
                    + "in the checkpoint, closest: " + closest);
        }
        return parameter;
    }
}
