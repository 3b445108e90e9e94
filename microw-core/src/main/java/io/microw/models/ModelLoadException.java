package io.microw.models;

import io.microw.MicrowException;

/** A model could not be built: unknown architecture, missing or misshapen weight, inconsistent config. */
public class ModelLoadException extends MicrowException {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
