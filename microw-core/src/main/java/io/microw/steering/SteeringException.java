package io.microw.steering;

import io.microw.MicrowException;

/** A steering vector that cannot be built, saved, loaded or applied; the message says why. */
public class SteeringException extends MicrowException {

    public SteeringException(String message) {
        super(message);
    }

    public SteeringException(String message, Throwable cause) {
        super(message, cause);
    }
}
