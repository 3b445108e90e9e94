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
        assertRefusedAlike("layer 'transformer.h.2' is both captured and scaled: a layer takes a detector or a "
                + "controller, not both, so they cannot name the same layer; capture the next layer instead",
                "--capture", new String[] {"--capture", "layer_2", "--scale", "transformer.h.2=2"},
                "{\"type\": \"capture\", \"layer\": \"layer_2\"}, {\"type\": \"scale\", \"layer\": "
                        + "\"transformer.h.2\", \"factor\": 2}");
    }

    @Test
    void twoControllersOnOneLayerAreRefusedAlike() throws Exception {
        assertRefusedAlike("layer 'transformer.h.1' has two controllers (scale or ablate); give one per layer",
                "--scale", new String[] {"--scale", "layer_1=2", "--scale", "transformer.h.1=3"},
                "{\"type\": \"scale\", \"layer\": \"layer_1\", \"factor\": 2}, {\"type\": \"scale\", "
                        + "\"layer\": \"transformer.h.1\", \"factor\": 3}");
    }

    @Test
    void aContainerLayerIsRefusedAlike() throws Exception {
        assertRefusedAlike("layer 'transformer.h' is a container that never runs; name one of its children, e.g. "
                + "'transformer.h.0'", "--capture", new String[] {"--capture", "transformer.h"},
                "{\"type\": \"capture\", \"layer\": \"transformer.h\"}");
    }

    /**
     * {@code microw model run} with {@code flags} is a usage error saying {@code option: message}, and an infer
     * request with {@code hooks} a 400 saying {@code message}.
     */
    private static void assertRefusedAlike(String message, String option, String[] flags, String hooks)
            throws Exception {
        String[] args = new String[flags.length + 4];
        System.arraycopy(new String[] {"model", "run", "--prompt", "x"}, 0, args, 0, 4);
        System.arraycopy(flags, 0, args, 4, flags.length);
        CliRun cli = CliRun.of(args);
        assertThat(cli.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(cli.err()).contains(option + ": " + message);
        assertThat(serverError(hooks)).isEqualTo(message);
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
