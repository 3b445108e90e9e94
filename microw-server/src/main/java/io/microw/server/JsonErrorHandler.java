package io.microw.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Jetty's own error answers as the API's JSON errors, {@code {"error": message, "status": code}}, instead of HTML
 * pages: requests Jetty refuses before any handler runs (a NUL in the path, a negative Content-Length) and errors
 * raised outside Javalin's handlers.
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

    /** An error Jetty raised while handling a request. */
    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
                                              HttpServletResponse response, int code, String message)
            throws IOException {
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(body(code, message));
    }

    /** The JSON of an error answer; a missing or blank message becomes "error STATUS". */
    static String body(int status, String message) {
        ObjectNode n = Json.object();
        n.put("error", message == null || message.isBlank() ? "error " + status : message);
        n.put("status", status);
        return n.toString();
    }
}
