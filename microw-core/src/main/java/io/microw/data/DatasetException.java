package io.microw.data;

import io.microw.MicrowException;

/**
 * A dataset could not be read: an unreadable file, a malformed row (with its file and line), a missing column, or
 * no texts at all. {@link #origin()} names where, e.g. {@code data.csv:12}, or is the file alone when no row is to
 * blame.
 */
public class DatasetException extends MicrowException {

    /**
     * The file, or {@code file:line}, the error is about.
     */
    private final String origin;

    /**
     * An error about one file or row; the message starts with {@code origin}.
     *
     * @param origin  the file, or {@code file:line}, the error is about
     * @param message what is wrong
     */
    public DatasetException(String origin, String message) {
        this(origin, message, null);
    }

    /**
     * An error about one file or row, caused by another exception.
     *
     * @param origin  the file, or {@code file:line}, the error is about
     * @param message what is wrong
     * @param cause   the underlying exception, or {@code null}
     */
    public DatasetException(String origin, String message, Throwable cause) {
        super(origin + ": " + message, cause);
        this.origin = origin;
    }

    /**
     * The file, or {@code file:line} for one row, the error is about.
     *
     * @return the origin
     */
    public String origin() {
        return origin;
    }
}
