package io.microw;

/** Base class of every error microw raises on purpose: the message says what was wrong and what was expected. */
public class MicrowException extends RuntimeException {

    public MicrowException(String message) {
        super(message);
    }

    public MicrowException(String message, Throwable cause) {
        super(message, cause);
    }
}
