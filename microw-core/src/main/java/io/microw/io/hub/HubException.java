package io.microw.io.hub;

import io.microw.MicrowException;

/**
 * A failure to get a model from the Hugging Face Hub or its local cache: access refused, repository or file not
 * found, network failure, corrupted download, or a cache miss in offline mode. {@link #status()} is the HTTP
 * status when the server answered, else 0.
 */
public class HubException extends MicrowException {

    /**
     * The HTTP status, or 0 when the server did not answer.
     */
    private final int status;

    /**
     * A Hub error without an HTTP status.
     *
     * @param message what went wrong
     */
    public HubException(String message) {
        this(message, 0, null);
    }

    /**
     * A Hub error, with the HTTP status when the server answered.
     *
     * @param message what went wrong
     * @param status  the HTTP status, or 0 when there was no answer
     * @param cause   the underlying exception, or {@code null}
     */
    public HubException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /**
     * The HTTP status the server answered with, or 0 when there was no answer (network, cache, checksum).
     *
     * @return the status, or 0
     */
    public int status() {
        return status;
    }
}
