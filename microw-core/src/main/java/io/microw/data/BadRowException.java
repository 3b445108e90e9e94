package io.microw.data;

/**
 * One row of an otherwise readable file is malformed (wrong column count, not JSON, no text). In lenient mode
 * such rows are skipped and counted; otherwise this is thrown.
 */
public class BadRowException extends DatasetException {

    public BadRowException(String origin, String message) {
        super(origin, message);
    }

    public BadRowException(String origin, String message, Throwable cause) {
        super(origin, message, cause);
    }
}
