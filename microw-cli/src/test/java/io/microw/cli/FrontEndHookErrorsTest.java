package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.server.MicrowServer;
import io.microw.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line and the server refuse the same hooks with the same message: {@code --capture}/{@code --scale} on
 * {@code microw model run} and a request's {@code hooks} on {@code POST /api/models/{id}/infer}; the command line
 * adds the option that named the hook.
 */
class FrontEndHookErrorsTest {

    @TempDir
    static Path data;

    static MicrowServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new MicrowServer(ServerConfig.builder().host("127.0.0.1").port(0).dataDirectory(data).build())
                .start();
        assertThat(post("/api/models/brown-gpt2/load", "").statusCode()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void aLayerBothCapturedAndScaledIsRefusedAlike() throws Exception {
        String message = "layer 'transformer.h.2' is both captured and scaled: a layer takes a detector or a "
                + "controller, not both, so they cannot name the same layer; capture the next layer instead";
        CliRun cli = CliRun.of("model", "run", "--prompt", "x", "--capture", "layer_2", "--scale", "transformer.h.2=2");
        assertThat(cli.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(cli.err()).contains("--capture: " + message);
        assertThat(serverError("{\"type\": \"capture\", \"layer\": \"layer_2\"}, {\"type\": \"scale\", \"layer\": "
                + "\"transformer.h.2\", \"factor\": 2}")).isEqualTo(message);
    }

    @Test
    void twoControllersOnOneLayerAreRefusedAlike() throws Exception {
        String message = "layer 'transformer.h.1' has two controllers (scale or ablate); give one per layer";
        CliRun cli = CliRun.of("model", "run", "--prompt", "x", "--scale", "layer_1=2", "--scale", "transformer.h.1=3");
        assertThat(cli.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(cli.err()).contains("--scale: " + message);
        assertThat(serverError("{\"type\": \"scale\", \"layer\": \"layer_1\", \"factor\": 2}, {\"type\": \"scale\", "
                + "\"layer\": \"transformer.h.1\", \"factor\": 3}")).isEqualTo(message);
    }

    @Test
    void aContainerLayerIsRefusedAlike() throws Exception {
        String message = "layer 'transformer.h' is a container that never runs; name one of its children, e.g. "
                + "'transformer.h.0'";
        CliRun cli = CliRun.of("model", "run", "--prompt", "x", "--capture", "transformer.h");
        assertThat(cli.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(cli.err()).contains("--capture: " + message);
        assertThat(serverError("{\"type\": \"capture\", \"layer\": \"transformer.h\"}")).isEqualTo(message);
    }

    /** The error of an infer request with these hooks, which must be refused with 400. */
    private static String serverError(String hooks) throws Exception {
        HttpResponse<String> r = post("/api/models/brown-gpt2/infer", "{\"texts\": [\"x\"], \"hooks\": [" + hooks
                + "]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode body = Json.MAPPER.readTree(r.body());
        return body.path("error").asText();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }
}
