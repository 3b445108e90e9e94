package io.microw.io;

import io.microw.MicrowException;

/** A Hugging Face config.json that is missing, is not valid JSON, or lacks a key or has one of the wrong type. */
public class ConfigException extends MicrowException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
