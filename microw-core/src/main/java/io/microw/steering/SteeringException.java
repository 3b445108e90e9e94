package io.microw.steering;

import io.microw.MicrowException;

/** A steering vector that cannot be built, saved, loaded or applied; the message says why. */
public class SteeringException extends MicrowException {

    /**
     * An error with a message that says what was wrong.
     *
     * @param message the message
     */
    public SteeringException(String message) {
        super(message);
    }

    /**
     * An error with a message and the failure that caused it.
     *
     * @param message the message
     * @param cause the underlying failure
     */
    public SteeringException(String message, Throwable cause) {
        super(message, cause);
    }
}
