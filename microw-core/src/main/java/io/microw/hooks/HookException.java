package io.microw.hooks;

import io.microw.MicrowException;

/** A hook failed or was misused: registration on a bad layer, a duplicate id, or an error inside the hook. */
public class HookException extends MicrowException {

    public HookException(String message) {
        super(message);
    }

    public HookException(String message, Throwable cause) {
        super(message, cause);
    }
}
