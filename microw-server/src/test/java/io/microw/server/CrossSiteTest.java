package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.microw.demo.BrownGpt2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * No other web page can drive a local server: requests that change state must say JSON (415), requests from a foreign
 * origin are refused (403), and a Host header naming another host is misdirected (421, what stops DNS rebinding).
 * Plain HTTP checks each rule; headless Chromium then opens an attacker's page on another port that posts to the
 * server with a no-cors fetch and a form, and the real UI, which must keep working.
 */
class CrossSiteTest {

    /** What an attacker asks for: a job that runs on the user's machine. */
    static final String JOB = "{\"model\": \"brown-gpt2\", \"texts\": [\"pwned\"], \"layers\": [\"transformer.h.1\"], "
            + "\"run\": \"pwned\"}";

    @TempDir
    static Path data;

    static MicrowServer server;
    static Http http;
    static int port;

    @BeforeAll
    static void start() {
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data).allowedModels(List.of(BrownGpt2.NAME))
                .build()).start(0);
        port = server.port();
        http = new Http(port);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    /** A request from this test's own process, with the Host header a browser on the server's page would send. */
    static RawHttp.Reply post(String path, String... headers) {
        List<String> all = new ArrayList<>(List.of("Host: 127.0.0.1:" + port, "Content-Length: 0"));
        all.addAll(List.of(headers));
        return RawHttp.send(port, RawHttp.request("POST " + path + " HTTP/1.1", all.toArray(String[]::new)));
    }

    static RawHttp.Reply get(String path, String host, String... headers) {
        List<String> all = new ArrayList<>(List.of("Host: " + host));
        all.addAll(List.of(headers));
        return RawHttp.send(port, RawHttp.request("GET " + path + " HTTP/1.1", all.toArray(String[]::new)));
    }

    @Test
    void changesOfStateNeedTheJsonContentType() {
        assertError(post("/api/jobs/activations", "Content-Type: text/plain").resp(), 415, "text/plain");
        assertError(post("/api/jobs/activations", "Content-Type: application/x-www-form-urlencoded").resp(), 415,
                "Content-Type: application/json");
        assertError(post("/api/jobs/activations", "Content-Type: multipart/form-data; boundary=x").resp(), 415,
                "multipart/form-data");
        assertError(post("/api/models/brown-gpt2/load").resp(), 415, "got none");
        assertError(RawHttp.send(port, RawHttp.request("DELETE /api/runs/r HTTP/1.1", "Host: 127.0.0.1:" + port))
                .resp(), 415, "DELETE /api/runs/r");
        // a body is not needed, only the type; a charset parameter is fine
        assertError(post("/api/jobs/no-such-job/cancel", "Content-Type: application/json").resp(), 404, "no-such-job");
        assertError(post("/api/jobs/no-such-job/cancel", "Content-Type: Application/JSON; charset=utf-8").resp(), 404,
                "no-such-job");
        assertThat(http.get("/api/jobs").json().path("jobs")).isEmpty();
    }

    @Test
    void theOpenApiDocumentListsTheRefusals() {
        JsonNode paths = http.get("/api/openapi.json").json().path("paths");
        JsonNode post = paths.path("/api/jobs/activations").path("post").path("responses");
        assertThat(post.has("403") && post.has("415") && post.has("421")).as(post.toString()).isTrue();
        JsonNode get = paths.path("/api/jobs").path("get").path("responses");
        assertThat(get.has("403") && get.has("421") && !get.has("415")).as(get.toString()).isTrue();
        assertThat(paths.path("/api/models/{id}/load").path("post").path("responses").has("422")).isTrue();
    }

    @Test
    void foreignOriginsAreRefused() {
        String json = "Content-Type: application/json";
        assertError(post("/api/jobs/activations", json, "Origin: http://evil.example").resp(), 403,
                "Origin 'http://evil.example'");
        assertError(post("/api/jobs/activations", json, "Origin: null").resp(), 403, "cross-origin");
        assertError(post("/api/jobs/activations", json, "Origin: http://127.0.0.1:" + (port + 1)).resp(), 403,
                "cross-origin");
        assertError(get("/api/jobs", "127.0.0.1:" + port, "Origin: http://evil.example").resp(), 403, "cross-origin");
        // without an Origin, a browser's Sec-Fetch-Site tells where the request came from
        assertError(post("/api/jobs/activations", json, "Sec-Fetch-Site: cross-site").resp(), 403,
                "Sec-Fetch-Site: cross-site");
        assertError(get("/api/jobs", "127.0.0.1:" + port, "Sec-Fetch-Site: same-site").resp(), 403, "cross-site");
        assertThat(get("/api/jobs", "127.0.0.1:" + port, "Sec-Fetch-Site: same-origin").status()).isEqualTo(200);
        assertThat(get("/api/jobs", "127.0.0.1:" + port, "Sec-Fetch-Site: none").status()).isEqualTo(200);
        // the server's own origin, under each name it answers to
        assertError(post("/api/jobs/x/cancel", json, "Origin: http://127.0.0.1:" + port).resp(), 404, "x");
        assertThat(get("/api/jobs", "localhost:" + port, "Origin: http://localhost:" + port).status()).isEqualTo(200);
        assertThat(get("/api/jobs", "localhost:" + port, "Origin: http://127.0.0.1:" + port).status()).isEqualTo(403);
        assertThat(http.get("/api/jobs").json().path("jobs")).isEmpty();
    }

    @Test
    void anAllowedOriginMayCallTheApi(@TempDir Path other) {
        try (MicrowServer allowing = new MicrowServer(ServerConfig.builder().dataDirectory(other)
                .allowedOrigin("HTTP://LocalHost:3000").build()).start(0)) {
            int p = allowing.port();
            String host = "Host: 127.0.0.1:" + p;
            RawHttp.Reply allowed = RawHttp.send(p, RawHttp.request("POST /api/jobs/x/cancel HTTP/1.1", host,
                    "Content-Type: application/json", "Content-Length: 0", "Origin: http://localhost:3000"));
            assertError(allowed.resp(), 404, "x");
            RawHttp.Reply otherPort = RawHttp.send(p, RawHttp.request("POST /api/jobs/x/cancel HTTP/1.1", host,
                    "Content-Type: application/json", "Content-Length: 0", "Origin: http://localhost:3001"));
            assertError(otherPort.resp(), 403, "http://localhost:3001");
        }
    }

    @Test
    void hostsOtherThanTheServersAreMisdirected() {
        for (String page : List.of("/api/health", "/index.html", "/", "/app.js")) {
            RawHttp.Reply r = get(page, "evil.example");
            assertError(r.resp(), 421, "'evil.example'");
            assertThat(r.header("Content-Type")).startsWith("application/json");
            assertError(get(page, "evil.example:" + port).resp(), 421, "evil.example");
        }
        assertError(get("/api/health", "127.0.0.1:" + (port + 1)).resp(), 421, "port " + (port + 1));
        assertError(get("/api/health", "0.0.0.0:" + port).resp(), 421, "0.0.0.0");
        assertError(RawHttp.send(port, "GET /api/health HTTP/1.0\r\n\r\n").resp(), 421, "no Host header");
        for (String host : List.of("127.0.0.1:" + port, "127.0.0.1", "LOCALHOST:" + port, "localhost", "[::1]:" + port,
                "[::1]")) {
            assertThat(get("/api/health", host).status()).as(host).isEqualTo(200);
            assertThat(get("/index.html", host).status()).as(host).isEqualTo(200);
        }
    }

    @Test
    void anAllowedHostIsAnswered(@TempDir Path other) {
        try (MicrowServer allowing = new MicrowServer(ServerConfig.builder().dataDirectory(other)
                .allowedHost("MyBox.lan").build()).start(0)) {
            int p = allowing.port();
            RawHttp.Reply page = RawHttp.send(p, RawHttp.request("GET /index.html HTTP/1.1", "Host: mybox.lan:" + p));
            assertThat(page.status()).isEqualTo(200);
            RawHttp.Reply own = RawHttp.send(p, RawHttp.request("POST /api/jobs/x/cancel HTTP/1.1",
                    "Host: mybox.lan:" + p, "Origin: http://mybox.lan:" + p, "Content-Type: application/json",
                    "Content-Length: 0"));
            assertError(own.resp(), 404, "x");
            assertError(RawHttp.send(p, RawHttp.request("GET /index.html HTTP/1.1", "Host: otherbox.lan:" + p))
                    .resp(), 421, "otherbox.lan");
        }
    }

    @Test
    void aServerOnEveryInterfaceAnswersOnlyToNamedHosts() {
        RequestGuard guard = new RequestGuard(ServerConfig.builder().host("0.0.0.0").allowedHost("mybox.lan").build());
        guard.checkHost("localhost:8080", 8080);
        guard.checkHost("mybox.lan:8080", 8080);
        assertThatThrownBy(() -> guard.checkHost("0.0.0.0:8080", 8080)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(421));
        assertThatThrownBy(() -> guard.checkHost("192.168.1.5:8080", 8080)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(421));
        RequestGuard lan = new RequestGuard(ServerConfig.builder().host("192.168.1.5").build());
        lan.checkHost("192.168.1.5:8080", 8080);
        RequestGuard v6 = new RequestGuard(ServerConfig.builder().host("fe80::1").build());
        v6.checkHost("[FE80::1]:8080", 8080);
    }

    /**
     * An attacker's page on another port (and another site: attacker.example, which Chromium resolves to 127.0.0.1)
     * posts a job with a no-cors fetch and then with a form; nothing runs. A page reached under a rebound name
     * (rebound.example, also 127.0.0.1) is not served. The server's own UI still loads a model.
     */
    @Test
    void anotherSitesPageCannotDriveTheServerButItsOwnUiCan() throws Exception {
        Browser.assumeEnabled();
        HttpServer attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        String target = "http://127.0.0.1:" + port + "/api/jobs/activations";
        String page = "<!doctype html><title>attack</title>"
                + "<form id=f method=post enctype=text/plain action='" + target + "'>"
                + "<input type=hidden name='" + JOB.replace("}", ", \"x\": \"") + "' value='\"}'></form>"
                + "<script>fetch('" + target + "', {method: 'POST', mode: 'no-cors', "
                + "headers: {'Content-Type': 'text/plain'}, body: '" + JOB + "'})"
                + ".finally(() => document.getElementById('f').submit());</script>";
        attacker.createContext("/", exchange -> {
            byte[] html = page.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, html.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(html);
            }
        });
        attacker.start();
        WebDriver driver = Browser.start(true,
                "--host-resolver-rules=MAP attacker.example 127.0.0.1, MAP rebound.example 127.0.0.1");
        try {
            WebDriverWait waiting = new WebDriverWait(driver, Duration.ofSeconds(60));
            driver.get("http://attacker.example:" + attacker.getAddress().getPort() + "/");
            waiting.until(d -> d.getCurrentUrl().equals(target)); // the form was posted: the answer is on screen
            assertThat(driver.findElement(By.tagName("body")).getText()).contains("\"status\":403")
                    .contains("cross-origin request refused");
            assertThat(statuses(driver, "/api/jobs/activations")).containsExactly(403, 403);
            assertThat(http.get("/api/jobs").json().path("jobs")).isEmpty();

            driver.get("http://rebound.example:" + port + "/index.html");
            assertThat(driver.findElement(By.tagName("body")).getText()).contains("\"status\":421");
            assertThat(statuses(driver, "rebound.example")).isNotEmpty().containsOnly(421); // the page, the icon

            for (String base : List.of("http://127.0.0.1:" + port + "/", "http://localhost:" + port + "/")) {
                driver.manage().logs().get(LogType.BROWSER); // forget the attack's console lines
                driver.get(base + "models.html");
                waiting.until(d -> !d.findElements(By.cssSelector("button[data-load='brown-gpt2']")).isEmpty());
                driver.findElement(By.cssSelector("button[data-load='brown-gpt2']")).click();
                waiting.until(d -> d.findElement(By.id("status")).getText().contains("Loaded brown-gpt2"));
                assertThat(http.get("/api/models").json().path("loaded").toString()).as(base).contains("brown-gpt2");
                driver.findElement(By.cssSelector("button[data-unload='brown-gpt2']")).click();
                waiting.until(d -> d.findElement(By.id("status")).getText().contains("Unloaded brown-gpt2"));
                assertThat(driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage))
                        .as(base + " console errors").isEmpty();
            }
        } finally {
            driver.quit();
            attacker.stop(0);
        }
    }

    /** The HTTP statuses of the responses the browser received from URLs containing {@code fragment}, in order. */
    static List<Integer> statuses(WebDriver driver, String fragment) throws IOException {
        List<Integer> statuses = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.PERFORMANCE)) {
            JsonNode message = Http.MAPPER.readTree(e.getMessage()).path("message");
            JsonNode response = message.path("params").path("response");
            if (message.path("method").asText().equals("Network.responseReceived")
                    && response.path("url").asText().contains(fragment)) {
                statuses.add(response.path("status").asInt());
            }
        }
        return statuses;
    }
}
