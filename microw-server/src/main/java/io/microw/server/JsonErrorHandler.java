package io.microw.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.handler.ErrorHandler;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Jetty's own error answers as the API's JSON errors, {@code {"error": message, "status": code}}, instead of HTML
 * pages: requests Jetty refuses before any handler runs (a NUL in the path or a header, a negative Content-Length,
 * headers too large).
 */
final class JsonErrorHandler extends ErrorHandler {

    /** A request Jetty could not parse: answered before it reaches the server's handlers. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        String phrase = HttpStatus.getMessage(status);
        String detail = reason == null || reason.equalsIgnoreCase(phrase) ? "" : ": " + reason;
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(status, "the server could not read this request (" + phrase + ")" + detail)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON of an error answer; a missing or blank message becomes "error STATUS". */
    static String body(int status, String message) {
        ObjectNode n = Json.object();
        n.put("error", message == null || message.isBlank() ? "error " + status : message);
        n.put("status", status);
        return n.toString();
    }
}
