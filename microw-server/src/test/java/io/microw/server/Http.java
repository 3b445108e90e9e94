package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A small JSON client over java.net.http for the API tests. */
final class Http {

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** A response: status and parsed JSON body. */
    record Resp(int status, JsonNode json, String raw) {
    }

    /** A server-sent event: its name and its data, parsed as JSON. */
    record Event(String name, JsonNode data) {
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

    /**
     * Opens {@code path} as a server-sent event stream, failing unless it answers 200 with text/event-stream, and
     * adds each event to {@code into} (synchronized on it) as it arrives; the future completes when the stream ends.
     */
    CompletableFuture<Void> events(String path, List<Event> into) {
        HttpResponse<Stream<String>> resp;
        try {
            resp = client.send(HttpRequest.newBuilder(URI.create(base + path)).header("Accept", "text/event-stream")
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofLines());
        } catch (Exception e) {
            throw new IllegalStateException("GET " + path + " failed", e);
        }
        String type = resp.headers().firstValue("content-type").orElse("");
        if (resp.statusCode() != 200 || !type.startsWith("text/event-stream")) {
            throw new IllegalStateException("GET " + path + ": " + resp.statusCode() + " " + type);
        }
        return CompletableFuture.runAsync(() -> {
            String[] name = {"message"};
            resp.body().forEach(line -> {
                if (line.startsWith("event:")) {
                    name[0] = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    try {
                        Event e = new Event(name[0], MAPPER.readTree(line.substring(5).trim()));
                        synchronized (into) {
                            into.add(e);
                        }
                    } catch (Exception ex) {
                        throw new IllegalStateException(line, ex);
                    }
                }
            });
        });
    }

    /** Waits up to 10 s until {@code events} (filled by {@link #events}) holds at least {@code n}. */
    static void awaitEvents(List<Event> events, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            synchronized (events) {
                if (events.size() >= n) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("fewer than " + n + " events in 10 s: " + events);
            }
            Thread.sleep(20);
        }
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
