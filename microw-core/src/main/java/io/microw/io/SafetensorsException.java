package io.microw.io;

import io.microw.MicrowException;

/** A safetensors file or sharded checkpoint that cannot be read or written: bad header, missing tensor, I/O failure. */
public class SafetensorsException extends MicrowException {

    /**
     * A safetensors error with a message only.
     *
     * @param message what is wrong, naming the file
     */
    public SafetensorsException(String message) {
        super(message);
    }

    /**
     * A safetensors error caused by another exception (usually an {@link java.io.IOException}).
     *
     * @param message what is wrong, naming the file
     * @param cause   the underlying exception
     */
    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
