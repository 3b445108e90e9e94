package io.microw.store;

import io.microw.MicrowException;

/** A store operation failed: a bad run id or layer name, a missing run or batch, or an I/O error (disk full, no permission). */
public class StoreException extends MicrowException {

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
