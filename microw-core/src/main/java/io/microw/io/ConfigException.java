package io.microw.io;

import io.microw.MicrowException;

/** A Hugging Face config.json that is missing, is not valid JSON, or lacks a key or has one of the wrong type. */
public class ConfigException extends MicrowException {

    /**
     * A config error with a message only.
     *
     * @param message what is wrong and what was expected
     */
    public ConfigException(String message) {
        super(message);
    }

    /**
     * A config error caused by another exception (an I/O or JSON parse error).
     *
     * @param message what is wrong and what was expected
     * @param cause   the underlying exception
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
