package io.microw.server;

import io.microw.demo.BrownGpt2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A server with an API key that protects reads too, and a local model root: auth (keys in UTF-8, blank keys refused),
 * load, unload, reload, model folders that cannot be loaded, and requests too malformed to reach a handler.
 */
class AuthAndLifecycleTest {

    static final String KEY = "s3cret-key";

    @TempDir
    static Path data;
    @TempDir
    static Path models;

    static MicrowServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        Path local = Files.createDirectories(models.resolve("mini"));
        try (Stream<Path> files = Files.list(BrownGpt2.directory())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, local.resolve(f.getFileName()));
            }
        }
        Files.createDirectories(models.resolve("not-a-model"));
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data).modelRoot(models).apiKey(KEY)
                .protectReads(true).build()).start(0);
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void keyIsRequiredForWritesAndForReadsWhenConfigured() {
        assertError(http.send("POST", "/api/models/brown-gpt2/load", null, null), 401, "missing API key");
        assertError(http.send("POST", "/api/models/brown-gpt2/load", null, "wrong"), 401, "wrong API key");
        assertError(http.send("DELETE", "/api/saes/sae-1", null, null), 401, "API key");
        assertError(http.send("GET", "/api/models", null, null), 401, "API key");
        assertError(http.send("GET", "/api/metrics", null, null), 401, "API key");
        assertError(http.send("POST", "/api/jobs/activations", "{}", null), 401, "API key");
        assertError(http.send("POST", "/api/jobs/job-x/cancel", null, null), 401, "API key");
        assertError(http.send("DELETE", "/api/runs/r", null, null), 401, "API key");
        assertError(http.send("GET", "/api/jobs", null, null), 401, "API key");
        assertThat(http.send("GET", "/api/jobs", null, KEY).status()).isEqualTo(200);
        assertThat(http.send("GET", "/api/runs", null, KEY).status()).isEqualTo(200);
        assertError(http.send("GET", "/api/openapi.json", null, null), 401, "API key");
        assertThat(http.send("GET", "/api/models", null, KEY).status()).isEqualTo(200);
        assertThat(http.send("GET", "/api/health", null, null).status()).isEqualTo(200);
        // auth comes before anything else: an unauthenticated bad request is 401, not 400
        assertError(http.send("POST", "/api/models/brown-gpt2/infer", "{not json", null), 401, "API key");
        assertThat(http.send("GET", "/api/openapi.json", null, KEY).json().path("paths").path("/api/saes/{id}")
                .path("delete").path("security").isArray()).isTrue();
    }

    @Test
    void readsAreOpenWhenNotProtected() throws Exception {
        try (MicrowServer open = new MicrowServer(ServerConfig.builder().dataDirectory(data.resolve("open"))
                .apiKey(KEY).build()).start(0)) {
            Http h = new Http(open.port());
            assertThat(h.get("/api/models").status()).isEqualTo(200);
            assertThat(h.get("/api/metrics").status()).isEqualTo(200);
            assertError(h.post("/api/models/brown-gpt2/unload", null), 401, "API key");
            assertError(h.delete("/api/saes/x"), 401, "API key");
            assertError(h.send("POST", "/api/models/brown-gpt2/unload", null, KEY), 409, "not loaded");
        }
    }

    @Test
    void localModelsLoadUseAndUnload() {
        var models = http.send("GET", "/api/models", null, KEY).json();
        assertThat(models.path("allowed")).extracting(n -> n.asText()).containsExactly(BrownGpt2.NAME, "mini");
        assertError(http.send("POST", "/api/models/not-a-model/load", null, KEY), 404, "not allowed");
        Http.Resp load = http.send("POST", "/api/models/mini/load", null, KEY);
        assertThat(load.status()).as(load.raw()).isEqualTo(201);
        assertThat(load.json().path("source").asText()).endsWith("mini");
        assertError(http.send("POST", "/api/models/mini/load", null, KEY), 409, "already loaded");
        Http.Resp infer = http.send("POST", "/api/models/mini/infer", "{\"texts\": [\"It was\"]}", KEY);
        assertThat(infer.status()).as(infer.raw()).isEqualTo(200);
        assertThat(http.send("GET", "/api/metrics", null, KEY).json().path("loaded_models").toString()).contains("mini");
        assertThat(http.send("POST", "/api/models/mini/unload", null, KEY).status()).isEqualTo(200);
        assertError(http.send("POST", "/api/models/mini/infer", "{\"texts\": [\"It was\"]}", KEY), 409, "not loaded");
        assertError(http.send("POST", "/api/models/mini/unload", null, KEY), 409, "not loaded");
        assertThat(http.send("POST", "/api/models/mini/load", null, KEY).status()).isEqualTo(201);
        Http.Resp again = http.send("POST", "/api/models/mini/infer", "{\"texts\": [\"It was\"]}", KEY);
        assertThat(again.json()).isEqualTo(infer.json());
        assertThat(http.send("POST", "/api/models/mini/unload", null, KEY).status()).isEqualTo(200);
    }

    @Test
    void configDefaults() {
        ServerConfig c = ServerConfig.builder().build();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isZero();
        assertThat(c.allowedModels()).containsExactly(BrownGpt2.NAME);
        assertThat(c.key()).isEmpty();
        assertThat(c.protectReads()).isFalse();
        assertThat(c.toString()).doesNotContain("s3cret");
        assertThat(ServerConfig.builder().apiKey(KEY).build().toString()).doesNotContain(KEY);
        assertThat(c.allowedOrigins()).isEmpty();
        assertThat(c.allowedHosts()).isEmpty();
    }

    @Test
    void blankKeysBadOriginsAndBadHostsAreRefused() {
        for (String blank : new String[] {"", "   ", "\t\n"}) {
            assertThatThrownBy(() -> ServerConfig.builder().apiKey(blank).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("API key is blank");
        }
        assertThat(ServerConfig.builder().apiKey(null).build().key()).isEmpty();
        for (String origin : new String[] {"localhost:3000", "http://localhost:3000/", "http://localhost:3000/ui",
                "ftp://localhost", "null", "http://user@localhost", "http://localhost?x"}) {
            assertThatThrownBy(() -> ServerConfig.builder().allowedOrigin(origin).build()).as(origin)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("allowed origin '" + origin + "' must be scheme://host[:port]");
        }
        ServerConfig c = ServerConfig.builder().allowedOrigin("HTTPS://Example.org:443")
                .allowedOrigin("http://localhost:3000").allowedHost("MyBox.Lan").allowedHost("[FE80::1]").build();
        assertThat(c.allowedOrigins()).containsExactly("https://example.org", "http://localhost:3000");
        assertThat(c.allowedHosts()).containsExactly("mybox.lan", "[fe80::1]");
        for (String host : new String[] {"mybox.lan:8080", "http://mybox.lan", "fe80::1", "my box", ""}) {
            assertThatThrownBy(() -> ServerConfig.builder().allowedHost(host).build()).as(host)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("allowed host '" + host + "' must be a host name or address");
        }
    }

    @Test
    void aKeyOutsideAsciiAuthenticatesWhenSentAsUtf8(@TempDir Path other) {
        String key = "clé-ключ-鍵";
        try (MicrowServer keyed = new MicrowServer(ServerConfig.builder().dataDirectory(other).apiKey(key).build())
                .start(0)) {
            int p = keyed.port();
            String[] headers = {"Host: 127.0.0.1:" + p, "Content-Type: application/json", "Content-Length: 0"};
            String line = "POST /api/models/brown-gpt2/unload HTTP/1.1";
            // the key's bytes go out as UTF-8 (RawHttp writes the request text as UTF-8)
            RawHttp.Reply right = RawHttp.send(p, RawHttp.request(line, append(headers, "X-API-Key: " + key)));
            assertError(right.resp(), 409, "not loaded");
            RawHttp.Reply wrong = RawHttp.send(p, RawHttp.request(line, append(headers, "X-API-Key: cle-ключ-鍵")));
            assertError(wrong.resp(), 401, "wrong API key");
            RawHttp.Reply latin1 = RawHttp.send(p, RawHttp.request(line, append(headers, "X-API-Key: clé-ключ-鍵"))
                    .getBytes(StandardCharsets.ISO_8859_1)); // é as one byte, the rest as '?': not the key
            assertError(latin1.resp(), 401, "wrong API key");
        }
        try (MicrowServer ascii = new MicrowServer(ServerConfig.builder().dataDirectory(other).apiKey(KEY).build())
                .start(0)) {
            assertError(new Http(ascii.port()).send("POST", "/api/models/brown-gpt2/unload", null, KEY), 409,
                    "not loaded");
        }
    }

    private static String[] append(String[] lines, String line) {
        String[] all = java.util.Arrays.copyOf(lines, lines.length + 1);
        all[lines.length] = line;
        return all;
    }

    @Test
    void modelFoldersThatCannotBeLoadedAre422WithTheReasonAndNoServerPath(@TempDir Path other, @TempDir Path root)
            throws Exception {
        Files.writeString(Files.createDirectories(root.resolve("bad-json")).resolve("config.json"),
                "{\"model_type\": \"gpt2\", ");
        Files.writeString(Files.createDirectories(root.resolve("bad-type")).resolve("config.json"),
                "{\"model_type\": \"no-such-family\"}");
        Path truncated = Files.createDirectories(root.resolve("truncated"));
        try (Stream<Path> files = Files.list(BrownGpt2.directory())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, truncated.resolve(f.getFileName()));
            }
        }
        try (RandomAccessFile weights = new RandomAccessFile(truncated.resolve("model.safetensors").toFile(), "rw")) {
            weights.setLength(weights.length() / 2);
        }
        try (MicrowServer s = new MicrowServer(ServerConfig.builder().dataDirectory(other).modelRoot(root).build())
                .start(0)) {
            Http h = new Http(s.port());
            for (String[] c : new String[][] {{"bad-json", "bad-json/config.json"}, {"bad-type", "no-such-family"},
                {"truncated", "truncated/model.safetensors"}}) {
                Http.Resp r = h.post("/api/models/" + c[0] + "/load", null);
                assertError(r, 422, c[1]);
                assertThat(r.raw()).as(c[0]).doesNotContain(root.toString()).doesNotContain("internal error")
                        .doesNotContain("\\n");
            }
            assertThat(h.get("/api/models").json().path("loaded")).isEmpty();
        }
    }

    @Test
    void requestsTooMalformedForAHandlerGetAJsonError() {
        int p = server.port();
        String host = "Host: 127.0.0.1:" + p;
        byte[] rawNul = RawHttp.request("GET /api/\0x HTTP/1.1", host).getBytes(StandardCharsets.ISO_8859_1);
        RawHttp.Reply[] replies = {
            RawHttp.send(p, RawHttp.request("GET /api/%00 HTTP/1.1", host)),
            RawHttp.send(p, rawNul),
            RawHttp.send(p, RawHttp.request("GET /api/health HTTP/1.1", host, "X-Bad: a\0b")),
            RawHttp.send(p, RawHttp.request("POST /api/jobs/activations HTTP/1.1", host,
                    "Content-Type: application/json", "Content-Length: -5")),
        };
        for (RawHttp.Reply r : replies) {
            assertError(r.resp(), 400, "could not read this request");
            assertThat(r.header("Content-Type")).startsWith("application/json");
        }
        assertThat(replies[1].body()).contains("Illegal character");
        assertThat(replies[3].body()).contains("Content-Length");
    }
}
