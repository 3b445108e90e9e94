package io.microw.server;

/** An error a client caused or should know about: its message and status code go back as JSON. */
public final class ApiException extends RuntimeException {

    private final int status;

    /**
     * An error for the client.
     *
     * @param status  the HTTP status code (400, 401, 403, 404, 409, 413, 500...)
     * @param message what went wrong, naming the value and what was expected
     */
    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /**
     * The HTTP status code of the response.
     *
     * @return the status code
     */
    public int status() {
        return status;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    static ApiException conflict(String message) {
        return new ApiException(409, message);
    }
}
