package io.microw.spark;

import io.microw.MicrowException;

/** A model ({@link ModelRef}) or SAE ({@link SaeRef}) could not be loaded in a JVM of the job; the message says which, where and why. */
public final class ModelLoadException extends MicrowException {

    /**
     * @param message what could not be loaded, where, and why
     * @param cause   the loader's error
     */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
