package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.frontend.TrainingJobSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code microw sae train} and the server's {@code POST /api/jobs/training} give a training job the same values for
 * everything it leaves out: the CLI's parsed options and the server's stored job parameters are compared.
 */
class TrainingDefaultsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theCliAndTheServerDefaultATrainingJobAlike(@TempDir Path data) throws Exception {
        CommandLine.ParseResult parsed = Main.commandLine().parseArgs("sae", "train", "--store", "st", "--run", "r",
                "--layer", "transformer.h.1", "--out", data.resolve("out").toString());
        SaeTrainCommand train = (SaeTrainCommand) parsed.subcommand().subcommand().commandSpec().userObject();
        // through JSON text, as the server's parameters come: numbers compare by value, not by Java type
        Map<String, Object> cli = new TreeMap<>(JSON.readValue(JSON.writeValueAsString(train.spec().toParams()),
                Map.class));
        Map<String, Object> server = new TreeMap<>();
        ServeCommandTest.serve(api -> {
            JsonNode act = RegisteredArchitectureTest.post(api + "/jobs/activations", "{\"model\": \"brown-gpt2\", "
                    + "\"texts\": [\"The jury said it\"], \"layers\": [\"transformer.h.1\"], \"run\": \"defaults\"}");
            RegisteredArchitectureTest.waitFor(api, act.path("id").asText());
            JsonNode job = RegisteredArchitectureTest.post(api + "/jobs/training", "{\"run\": \"defaults\"}");
            try {
                server.putAll(JSON.readValue(job.path("params").toString(), Map.class));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            ServeCommandTest.send(HttpRequest.newBuilder(URI.create(api + "/jobs/" + job.path("id").asText()
                    + "/cancel")).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.noBody())
                    .build()); // 200, or 409 when it has ended already
            RegisteredArchitectureTest.waitFor(api, job.path("id").asText());
        }, "serve", "--port", "0", "--data", data.toString());
        server.keySet().removeAll(Set.of("run", "layer", "model"));
        assertThat(server).isEqualTo(cli);
        // and they are the documented defaults, not values both front ends happen to share by accident
        assertThat(cli).containsEntry("architecture", "topk").containsEntry("d_sae", 4096)
                .containsEntry("batch_size", 4096).containsEntry("metrics_every", 10)
                .containsEntry("checkpoint_every", 100);
        assertThat(cli.get("lr")).isEqualTo(TrainingJobSpec.defaults().lr());
    }
}
