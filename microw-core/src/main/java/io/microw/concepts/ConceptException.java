package io.microw.concepts;

import io.microw.MicrowException;

/** A concept file or concept request that cannot be honoured: the message names the file, latent and range. */
public class ConceptException extends MicrowException {

    /**
     * An error with a message that says what was wrong.
     *
     * @param message the message
     */
    public ConceptException(String message) {
        super(message);
    }

    /**
     * An error with a message and the failure that caused it.
     *
     * @param message the message
     * @param cause the underlying failure
     */
    public ConceptException(String message, Throwable cause) {
        super(message, cause);
    }
}
