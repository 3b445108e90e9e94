package io.microw.data;

/**
 * One row of an otherwise readable file is malformed (wrong column count, not JSON, no text). In lenient mode
 * such rows are skipped and counted; otherwise this is thrown.
 */
public class BadRowException extends DatasetException {

    /**
     * A bad row.
     *
     * @param origin  {@code file:line} (or similar) of the row
     * @param message what is wrong with it
     */
    public BadRowException(String origin, String message) {
        super(origin, message);
    }

    /**
     * A bad row, found through another exception (e.g. a parse error).
     *
     * @param origin  {@code file:line} (or similar) of the row
     * @param message what is wrong with it
     * @param cause   the underlying exception
     */
    public BadRowException(String origin, String message, Throwable cause) {
        super(origin, message, cause);
    }
}
