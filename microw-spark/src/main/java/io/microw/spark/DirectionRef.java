package io.microw.spark;

import io.microw.steering.SteeringVector;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Names a saved direction in a layer's output space by a file every executor can read: a {@link SteeringVector}
 * safetensors file ({@code microw steer}, {@link SteeringVector#save}); a linear probe's direction
 * ({@code LinearProbe.direction()}) is saved the same way, as {@code new SteeringVector(direction, model, layer, ...)}.
 * Serializable; its absolute path keys the one loaded copy per executor JVM.
 *
 * @param file the safetensors file
 */
public record DirectionRef(String file) implements Serializable {

    /** Checks the file is named. */
    public DirectionRef {
        Objects.requireNonNull(file, "file");
        if (file.isBlank()) {
            throw new IllegalArgumentException("direction file is blank; expected a steering-vector .safetensors file");
        }
    }

    /**
     * The direction saved in {@code file}.
     *
     * @param file a steering-vector safetensors file
     * @return the reference
     */
    public static DirectionRef of(String file) {
        return new DirectionRef(file);
    }

    /** @return the absolute, normalised path: the direction's identity in a JVM */
    public String identity() {
        return Path.of(file).toAbsolutePath().normalize().toString();
    }

    /**
     * Loads the direction in this JVM.
     *
     * @return the vector, with the layer it belongs to
     */
    public SteeringVector load() {
        return SteeringVector.load(Path.of(file));
    }
}
