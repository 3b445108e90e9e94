package io.microw.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitectures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An SAE architecture added in the test sources only ({@link ToyTopKSae} and its one line in
 * {@code META-INF/services/io.microw.sae.SaeArchitecture}) is trained, saved and loaded through {@code microw sae
 * train}, and offered, trained, loaded and served through the REST API that {@code microw serve} starts.
 */
class RegisteredArchitectureTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LAYER = "transformer.h.2";

    @Test
    void theRegistryFindsTheTestArchitectureByNameAndAlias() {
        assertThat(SaeArchitectures.get("toy-top-k")).isInstanceOf(ToyTopKSae.Architecture.class)
                .isSameAs(SaeArchitectures.get("toytopk"));
        assertThat(SaeArchitectures.trainable()).contains(SaeArchitectures.get("toytopk"));
    }

    @Test
    void theCliTrainsSavesAndLoadsIt(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("toy");
        CliRun train = CliRun.of("sae", "train", "--texts-file", SaeCommandTest.texts(dir).toString(), "--layer",
                LAYER, "--out", out.toString(), "--architecture", "toy-top-k", "--d-sae", "32", "--k", "3",
                "--epochs", "1", "--batch-size", "32", "--json", "--no-progress");
        assertThat(train.exitCode()).as(train.err()).isZero();
        JsonNode result = JSON.readTree(train.out());
        assertThat(result.path("architecture").asText()).isEqualTo("toytopk");
        assertThat(result.path("steps").asLong()).isPositive();
        try (Sae sae = Sae.load(out.resolve("sae")); NDManager m = NDManager.newBaseManager()) {
            assertThat(sae).isInstanceOf(ToyTopKSae.class);
            assertThat(sae.config().k()).isEqualTo(3);
            assertThat(sae.config().hookName()).isEqualTo(LAYER);
            float[] x = new float[4 * sae.dIn()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i * 0.37);
            }
            float[] codes = sae.encode(m.create(x, new Shape(4, sae.dIn()))).toFloatArray();
            for (int row = 0; row < 4; row++) {
                int active = 0;
                for (int l = 0; l < 32; l++) {
                    active += codes[row * 32 + l] != 0 ? 1 : 0;
                }
                assertThat(active).as("row %d keeps at most k latents", row).isBetween(1, 3);
            }
        }
    }

    @Test
    void theApiOffersTrainsLoadsAndServesIt(@TempDir Path data) throws Exception {
        ServeCommandTest.serve(api -> {
            JsonNode archs = get(api + "/sae-architectures").path("architectures");
            assertThat(archs.findValuesAsText("name")).contains("topk", "toytopk", "gated");
            assertThat(get(api + "/openapi.json").path("components").path("schemas").path("TrainingRequest")
                    .path("properties").path("architecture").path("enum").toString())
                    .contains("\"toytopk\"").doesNotContain("gated");
            JsonNode act = post(api + "/jobs/activations", "{\"model\": \"brown-gpt2\", \"texts\": [\"The jury said "
                    + "it did find that many of the voters were pleased.\", \"The old church stands on a hill above "
                    + "the river.\"], \"layers\": [\"" + LAYER + "\"], \"run\": \"toy-src\"}");
            assertThat(waitFor(api, act.path("id").asText()).path("status").asText()).isEqualTo("succeeded");
            JsonNode job = post(api + "/jobs/training", "{\"run\": \"toy-src\", \"architecture\": \"toy-top-k\", "
                    + "\"d_sae\": 32, \"k\": 3, \"batch_size\": 8, \"epochs\": 1}");
            assertThat(job.path("params").path("architecture").asText()).isEqualTo("toytopk");
            JsonNode done = waitFor(api, job.path("id").asText());
            assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
            post(api + "/models/brown-gpt2/load", "{}");
            JsonNode sae = post(api + "/saes/load", "{\"path\": \"" + done.path("artifact").asText() + "\", "
                    + "\"model\": \"brown-gpt2\", \"layer\": \"" + LAYER + "\"}");
            assertThat(sae.path("architecture").asText()).as(sae.toString()).isEqualTo("toytopk");
            JsonNode served = post(api + "/saes/" + sae.path("id").asText() + "/infer", "{\"model\": \"brown-gpt2\", "
                    + "\"text\": \"The jury said\", \"top_k\": 3}");
            assertThat(served.toString()).contains("\"latent\"");
        }, "serve", "--port", "0", "--data", data.toString());
    }

    static JsonNode waitFor(String api, String id) {
        for (int i = 0; i < 1200; i++) {
            JsonNode job = get(api + "/jobs/" + id);
            if (Set.of("succeeded", "failed", "cancelled").contains(job.path("status").asText())) {
                return job;
            }
            sleep();
        }
        throw new AssertionError("job " + id + " did not end");
    }

    static JsonNode get(String url) {
        return json(ServeCommandTest.send(HttpRequest.newBuilder(URI.create(url)).build()), 200);
    }

    static JsonNode post(String url, String body) {
        HttpResponse<String> r = ServeCommandTest.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isBetween(200, 202);
        return json(r, r.statusCode());
    }

    private static JsonNode json(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError(r.body(), e);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
