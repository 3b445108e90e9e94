package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 over a plain socket to 127.0.0.1, for what java.net.http will not send: any Host header, header values as
 * raw UTF-8 bytes, malformed request lines and headers.
 */
final class RawHttp {

    private RawHttp() {
    }

    /** An answer: status, header lines and body. */
    record Reply(int status, String head, String body) {

        /** The value of header {@code name} (case-insensitive), or null. */
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        /** The answer as the JSON client's response, for {@link MicrowServerTest#assertError}. */
        Http.Resp resp() {
            JsonNode json;
            try {
                json = Http.MAPPER.readTree(body);
            } catch (IOException e) {
                json = null;
            }
            return new Http.Resp(status, json, head + "\r\n\r\n" + body);
        }
    }

    /**
     * A request of {@code requestLine} with the given header lines and Connection: close, no body.
     *
     * @param requestLine like {@code GET /api/health HTTP/1.1}
     * @param headers     lines like {@code Host: 127.0.0.1}
     * @return the request's text
     */
    static String request(String requestLine, String... headers) {
        StringBuilder b = new StringBuilder(requestLine).append("\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("Connection: close\r\n\r\n").toString();
    }

    /** Sends {@code request} as UTF-8 bytes and reads the whole answer. */
    static Reply send(int port, String request) {
        return send(port, request.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends {@code request} as it is and reads the whole answer. */
    static Reply send(int port, byte[] request) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            in.transferTo(answer);
            String text = answer.toString(StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.1 ") || split < 0) {
                throw new IllegalStateException("not an HTTP answer: " + text);
            }
            int status = Integer.parseInt(text.substring(9, 12));
            return new Reply(status, text.substring(0, split), text.substring(split + 4));
        } catch (IOException e) {
            throw new IllegalStateException("request to 127.0.0.1:" + port + " failed: "
                    + new String(request, StandardCharsets.UTF_8).split("\r\n")[0], e);
        }
    }
}
