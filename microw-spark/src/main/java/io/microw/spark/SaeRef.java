package io.microw.spark;

import io.microw.sae.Sae;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Names an SAE in SAELens format ({@code cfg.json} + {@code sae_weights.safetensors}) by a directory every executor
 * can read (shared storage, or shipped with {@code --files}). Serializable: it travels to the executors, and its
 * absolute path keys the one loaded copy per executor JVM.
 *
 * @param directory the SAE's directory
 */
public record SaeRef(String directory) implements Serializable {

    /** Checks the directory is named. */
    public SaeRef {
        Objects.requireNonNull(directory, "directory");
        if (directory.isBlank()) {
            throw new IllegalArgumentException("SAE directory is blank; expected a folder holding cfg.json and "
                    + "sae_weights.safetensors");
        }
    }

    /**
     * The SAE in {@code directory}.
     *
     * @param directory a SAELens folder
     * @return the reference
     */
    public static SaeRef of(String directory) {
        return new SaeRef(directory);
    }

    /** @return the absolute, normalised directory: the SAE's identity in a JVM */
    public String identity() {
        return Path.of(directory).toAbsolutePath().normalize().toString();
    }

    /**
     * Loads the SAE in this JVM.
     *
     * @return the SAE
     */
    public Sae load() {
        return Sae.load(Path.of(directory));
    }
}
