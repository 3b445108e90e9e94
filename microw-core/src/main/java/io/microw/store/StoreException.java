package io.microw.store;

import io.microw.MicrowException;

/** A store operation failed: a bad run id or layer name, a missing run or batch, or an I/O error (disk full, no permission). */
public class StoreException extends MicrowException {

    /**
     * A store error with a message only.
     *
     * @param message what went wrong and how to fix it
     */
    public StoreException(String message) {
        super(message);
    }

    /**
     * A store error caused by another exception (usually an {@link java.io.IOException}).
     *
     * @param message what went wrong and how to fix it
     * @param cause   the underlying exception
     */
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
