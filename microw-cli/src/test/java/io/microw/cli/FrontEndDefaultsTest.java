package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.frontend.ActivationsJobSpec;
import io.microw.frontend.AttributionJobSpec;
import io.microw.frontend.PatchingJobSpec;
import io.microw.server.MicrowServer;
import io.microw.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line and the server default the same by construction: the same minimal job, given to {@code microw}'s
 * options and to the server's routes, becomes the same job spec (the run's made name aside, which is new each time).
 */
class FrontEndDefaultsTest {

    private static final String[] PROMPTS = {"The jury said that the man", "The jury said that the woman", " was",
        " had"};

    @TempDir
    static Path data;

    static MicrowServer server;

    @BeforeAll
    static void start() {
        server = new MicrowServer(ServerConfig.builder().host("127.0.0.1").port(0).dataDirectory(data).build())
                .start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void aMinimalActivationsJobIsTheSameFromBothFrontEnds() throws Exception {
        CommandLine cli = new CommandLine(new ActivationsSaveCommand());
        cli.parseArgs("--layers", "layer_1", "--brown", "train");
        ActivationsJobSpec fromCli = ((ActivationsSaveCommand) cli.getCommand()).jobSpec();

        JsonNode job = post("/api/jobs/activations", "{\"texts\": [\"The jury said\"], \"layers\": [\"layer_1\"]}",
                201);
        ActivationsJobSpec fromServer = ActivationsJobSpec.readFrom(job.path("params"));

        assertThat(fromServer.run()).as("an unnamed run is named as the library names one the CLI saves: "
                + "StoreNames.newRunId()").matches("run-\\d{8}-\\d{6}-\\d{3}");
        assertThat(fromServer.withRun(null)).isEqualTo(fromCli);
        assertThat(fromServer.model()).as("no model named: both take the demo model")
                .isEqualTo(ActivationsJobSpec.DEFAULT_MODEL).isEqualTo("brown-gpt2");
        assertThat(fromCli.batchSize()).isEqualTo(8);
        assertThat(fromCli.maxLength()).isZero();
    }

    @Test
    void aMinimalPatchingJobIsTheSameFromBothFrontEnds() throws Exception {
        PatchingJobSpec fromCli = parsed(new PatchCommand()).jobSpec();
        PatchingJobSpec fromServer = PatchingJobSpec.readFrom(minimalSweep("patching"));

        assertThat(fromServer).isEqualTo(fromCli);
        assertThat(fromCli.what().id()).isEqualTo("resid-pre");
    }

    @Test
    void aMinimalAttributionJobIsTheSameFromBothFrontEnds() throws Exception {
        AttributionJobSpec fromCli = parsed(new AttributeCommand()).jobSpec();
        AttributionJobSpec fromServer = AttributionJobSpec.readFrom(minimalSweep("attribution"));

        assertThat(fromServer).isEqualTo(fromCli);
        assertThat(fromCli.what().id()).isEqualTo("resid-pre");
        assertThat(fromCli.compare()).isFalse();
    }

    /** {@code command} with the prompt options alone. */
    private static <T> T parsed(T command) {
        CommandLine cli = new CommandLine(command);
        cli.parseArgs("--clean", PROMPTS[0], "--corrupt", PROMPTS[1], "--answer", PROMPTS[2], "--wrong", PROMPTS[3]);
        return command;
    }

    /** The parameters of the job the server queues for a {@code route} request with the prompts alone. */
    private static JsonNode minimalSweep(String route) throws Exception {
        post("/api/models/brown-gpt2/load", "", 201, 409);
        return post("/api/models/brown-gpt2/" + route, "{\"clean\": \"" + PROMPTS[0] + "\", \"corrupt\": \""
                + PROMPTS[1] + "\", \"answer\": \"" + PROMPTS[2] + "\", \"wrong\": \"" + PROMPTS[3] + "\", "
                + "\"async\": true}", 202).path("params");
    }

    /** Posts {@code body}; the answer's status is one of {@code status} (loading a loaded model is 409). */
    private static JsonNode post(String path, String body, Integer... status) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isIn((Object[]) status);
        return Json.MAPPER.readTree(response.body());
    }
}
