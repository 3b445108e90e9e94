package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A small JSON client over java.net.http for the API tests. */
final class Http {

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** A response: status and parsed JSON body. */
    record Resp(int status, JsonNode json, String raw) {
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    Http(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    Resp get(String path) {
        return send("GET", path, null, null);
    }

    Resp post(String path, String body) {
        return send("POST", path, body, null);
    }

    Resp put(String path, String body) {
        return send("PUT", path, body, null);
    }

    Resp delete(String path) {
        return send("DELETE", path, null, null);
    }

    HttpRequest request(String method, String path, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (key != null) {
            b.header("X-API-Key", key);
        }
        if (body != null || !method.equals("GET")) { // the server refuses a change of state without a JSON type
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return b.build();
    }

    Resp send(String method, String path, String body, String key) {
        try {
            return parse(client.send(request(method, path, body, key), HttpResponse.BodyHandlers.ofString()));
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + path + " failed", e);
        }
    }

    CompletableFuture<Resp> sendAsync(String method, String path, String body) {
        return client.sendAsync(request(method, path, body, null), HttpResponse.BodyHandlers.ofString())
                .thenApply(Http::parse);
    }

    private static Resp parse(HttpResponse<String> r) {
        JsonNode json;
        try {
            json = r.body().isEmpty() ? null : MAPPER.readTree(r.body());
        } catch (Exception e) {
            json = null;
        }
        return new Resp(r.statusCode(), json, r.body());
    }
}
