package io.microw;

/** Base class of every error microw raises on purpose: the message says what was wrong and what was expected. */
public class MicrowException extends RuntimeException {

    /**
     * An error with a message only.
     *
     * @param message what was wrong and what was expected
     */
    public MicrowException(String message) {
        super(message);
    }

    /**
     * An error caused by another exception.
     *
     * @param message what was wrong and what was expected
     * @param cause   the underlying exception
     */
    public MicrowException(String message, Throwable cause) {
        super(message, cause);
    }
}
