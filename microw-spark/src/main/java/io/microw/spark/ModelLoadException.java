package io.microw.spark;

import io.microw.MicrowException;

/** A model named by a {@link ModelRef} could not be loaded in a JVM of the job; the message says which and why. */
public final class ModelLoadException extends MicrowException {

    /**
     * @param message what could not be loaded, where, and why
     * @param cause   the loader's error
     */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
