package io.microw.sae;

import io.microw.MicrowException;

/** A sparse autoencoder could not be built, loaded, saved, trained or applied; the message says why. */
public class SaeException extends MicrowException {

    /**
     * An error with a message that says what was wrong.
     *
     * @param message the message
     */
    public SaeException(String message) {
        super(message);
    }

    /**
     * An error with a message and the failure that caused it.
     *
     * @param message the message
     * @param cause the underlying failure
     */
    public SaeException(String message, Throwable cause) {
        super(message, cause);
    }
}
