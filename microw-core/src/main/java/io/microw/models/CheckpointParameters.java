package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.io.TensorInfo;
import io.microw.io.WeightSource;
import io.microw.util.EditDistance;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Parameters read from a safetensors checkpoint, widened to float32, checked against the shapes the config
 * implies. Each tensor is read straight into a direct buffer that becomes the engine's tensor (no Java array in
 * between, no file mapping kept), so loading holds one copy of the weights. Checkpoints saved without the base-model prefix ({@code h.0.attn...} for
 * {@code transformer.h.0.attn...}) are found too.
 */
public final class CheckpointParameters implements ParameterSource {

    private final WeightSource source;
    private final NDManager manager;
    private final String optionalPrefix;
    private final Set<String> used = new HashSet<>();

    /**
     * Parameters read from a checkpoint.
     *
     * @param source         the checkpoint's tensors
     * @param manager        owns the arrays created from them
     * @param optionalPrefix a prefix such as {@code "transformer."} that some checkpoints omit, or ""
     */
    public CheckpointParameters(WeightSource source, NDManager manager, String optionalPrefix) {
        this.source = source;
        this.manager = manager;
        this.optionalPrefix = optionalPrefix;
    }

    @Override
    public boolean has(String name) {
        return stored(name) != null;
    }

    @Override
    public NDArray get(String name, Shape shape, Init init) {
        String key = stored(name);
        if (key == null) {
            throw new ModelLoadException("weight '" + name + "' is missing from " + source.describe()
                    + "; closest names there: " + closest(name));
        }
        TensorInfo info = source.info(key);
        if (!Arrays.equals(info.shape(), shape.getShape())) {
            throw new ModelLoadException("weight '" + key + "' in " + source.describe() + " has shape "
                    + Arrays.toString(info.shape()) + " but config.json implies " + Arrays.toString(shape.getShape()));
        }
        used.add(key);
        long bytes = 4 * info.numel();
        if (bytes > Integer.MAX_VALUE) {
            throw new ModelLoadException("weight '" + key + "' in " + source.describe() + " is " + bytes
                    + " bytes as float32, more than one engine buffer holds (" + Integer.MAX_VALUE + ")");
        }
        ByteBuffer buffer = manager.allocateDirect((int) bytes);
        source.readFloats(key, buffer);
        return manager.create(buffer.rewind(), shape, DataType.FLOAT32);
    }

    /**
     * Stored tensors that the model did not use (for a warning, not an error).
     *
     * @return the names never read through {@code get}, sorted
     */
    public List<String> unused() {
        return source.names().stream().filter(n -> !used.contains(n)).sorted().collect(Collectors.toList());
    }

    private String stored(String name) {
        if (source.contains(name)) {
            return name;
        }
        if (!optionalPrefix.isEmpty() && name.startsWith(optionalPrefix)) {
            String bare = name.substring(optionalPrefix.length());
            return source.contains(bare) ? bare : null;
        }
        return null;
    }

    private String closest(String name) {
        return source.names().stream()
                .sorted(Comparator.comparingInt(n -> EditDistance.between(n, name)))
                .limit(3)
                .collect(Collectors.toList())
                .toString();
    }
}
