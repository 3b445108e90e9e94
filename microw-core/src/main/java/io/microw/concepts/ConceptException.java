package io.microw.concepts;

import io.microw.MicrowException;

/** A concept file or concept request that cannot be honoured: the message names the file, latent and range. */
public class ConceptException extends MicrowException {

    public ConceptException(String message) {
        super(message);
    }

    public ConceptException(String message, Throwable cause) {
        super(message, cause);
    }
}
