package io.microw.sae;

import io.microw.MicrowException;

/** A sparse autoencoder could not be built, loaded, saved, trained or applied; the message says why. */
public class SaeException extends MicrowException {

    public SaeException(String message) {
        super(message);
    }

    public SaeException(String message, Throwable cause) {
        super(message, cause);
    }
}
