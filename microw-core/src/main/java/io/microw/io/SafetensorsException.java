package io.microw.io;

import io.microw.MicrowException;

/** A safetensors file or sharded checkpoint that cannot be read or written: bad header, missing tensor, I/O failure. */
public class SafetensorsException extends MicrowException {

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
