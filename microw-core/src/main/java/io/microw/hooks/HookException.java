package io.microw.hooks;

import io.microw.MicrowException;

/** A hook failed or was misused: registration on a bad layer, a duplicate id, or an error inside the hook. */
public class HookException extends MicrowException {

    /**
     * A hook error with a message only.
     *
     * @param message what went wrong
     */
    public HookException(String message) {
        super(message);
    }

    /**
     * A hook error caused by another exception (e.g. one thrown inside the hook).
     *
     * @param message what went wrong
     * @param cause   the underlying exception
     */
    public HookException(String message, Throwable cause) {
        super(message, cause);
    }
}
