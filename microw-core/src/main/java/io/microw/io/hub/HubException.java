package io.microw.io.hub;

import io.microw.MicrowException;

/**
 * A failure to get a model from the Hugging Face Hub or its local cache: access refused, repository or file not
 * found, network failure, corrupted download, or a cache miss in offline mode. {@link #status()} is the HTTP
 * status when the server answered, else 0.
 */
public class HubException extends MicrowException {

    private final int status;

    public HubException(String message) {
        this(message, 0, null);
    }

    public HubException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status the server answered with, or 0 when there was no answer (network, cache, checksum). */
    public int status() {
        return status;
    }
}
