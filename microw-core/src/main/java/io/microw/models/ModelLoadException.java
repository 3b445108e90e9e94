package io.microw.models;

import io.microw.MicrowException;

/** A model could not be built: unknown architecture, missing or misshapen weight, inconsistent config. */
public class ModelLoadException extends MicrowException {

    /**
     * A load error with a message only.
     *
     * @param message what is wrong and what was expected
     */
    public ModelLoadException(String message) {
        super(message);
    }

    /**
     * A load error caused by another exception.
     *
     * @param message what is wrong and what was expected
     * @param cause   the underlying exception
     */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
