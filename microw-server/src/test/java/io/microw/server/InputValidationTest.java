package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.demo.BrownGpt2;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests at the edges of their types and of the file system: numbers beyond a float or a long, bodies with
 * something after the JSON, names too long for a file, and responses that hold no non-finite numbers.
 */
class InputValidationTest {

    static final String M = "/api/models/brown-gpt2";

    @TempDir
    static Path data;
    @TempDir
    static Path files;
    @TempDir
    static Path models;
    @TempDir
    static Path outside;

    static MicrowServer server;
    static Http http;
    static String sae;

    @BeforeAll
    static void start() throws Exception {
        Path mini = Files.createDirectories(models.resolve("mini"));
        try (Stream<Path> model = Files.list(BrownGpt2.directory())) {
            for (Path f : (Iterable<Path>) model::iterator) {
                Files.copy(f, mini.resolve(f.getFileName()));
            }
        }
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data).fileRoot(files).modelRoot(models)
                .allowedModels(List.of(BrownGpt2.NAME)).build()).start(0);
        http = new Http(server.port());
        assertThat(http.post(M + "/load", null).status()).isEqualTo(201);
        int d = http.get("/api/models").json().path("loaded").get(0).path("hidden_size").asInt();
        for (Path dir : List.of(data.resolve("saes/topk"), files.resolve("sae"), outside.resolve("sae"))) {
            try (Sae s = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, d, 64, 4), 7)) {
                s.save(dir);
            }
        }
        Http.Resp loaded = http.post("/api/saes/load", "{\"path\": \"saes/topk\", \"model\": \"brown-gpt2\", "
                + "\"layer\": \"transformer.h.1\"}");
        assertThat(loaded.status()).as(loaded.raw()).isEqualTo(201);
        sae = loaded.json().path("id").asText();
        Files.writeString(outside.resolve("texts.jsonl"), "{\"text\": \"secret\"}\n");
        Files.writeString(outside.resolve("concepts.json"), "{}");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    // ---- numbers

    @Test
    void floatsThatOverflowA32BitFloatAre400() {
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"], \"hooks\": [{\"type\": \"scale\", \"layer\": "
                + "\"transformer.h.0\", \"factor\": 1e300}]}"), 400, "'factor' must be a finite number");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"temperature\": 1e39}"), 400,
                "'temperature' must be a finite number of at most 3.4028235E38 in magnitude (a 32-bit float), got 1.0E39");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"repetition_penalty\": -1e300}"), 400,
                "'repetition_penalty' must be a finite number");
        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", \"sae\": \"" + sae + "\", \"edits\": [{\"latent\": 1, "
                + "\"op\": \"clamp\", \"value\": 1e40}]}"), 400, "'value' must be a finite number");
    }

    @Test
    void activationsScaledToOverflowAreWrittenAsNullNotAsStrings() {
        Http.Resp r = http.post(M + "/infer", "{\"texts\": [\"The jury said\"], \"hooks\": [{\"type\": \"scale\", "
                + "\"layer\": \"transformer.h.0\", \"factor\": 3e38}, {\"type\": \"capture\", \"layer\": "
                + "\"transformer.h.1\"}]}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.raw()).doesNotContain("NaN").doesNotContain("Infinity");
        JsonNode result = r.json().path("results").get(0);
        JsonNode capture = result.path("hooks").get(1);
        assertThat(capture.path("type").asText()).isEqualTo("capture");
        assertThat(capture.path("token_norms")).isNotEmpty().allSatisfy(n -> assertThat(n.isNull()).isTrue());
        assertThat(result.path("next_tokens")).isNotEmpty()
                .allSatisfy(t -> assertThat(t.path("logit").isNull()).as(t.toString()).isTrue());
    }

    @Test
    void integersBeyondTheirTypeAre400NotWrapped() {
        // 2^64 + 3 wraps to 3 as a long, 2^64 + 1 to 1
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"max_new_tokens\": 18446744073709551619}"), 400,
                "'max_new_tokens' must be an integer from 1 to 512, got 18446744073709551619");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"seed\": 123456789012345678901234567890}"), 400,
                "'seed' must be an integer from -9223372036854775808 to 9223372036854775807, got 1234567890");
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"], \"top_k\": 18446744073709551619}"), 400, "top_k");
        assertError(http.post("/api/saes/" + sae + "/infer", "{\"text\": \"a\", \"latents\": [18446744073709551619]}"),
                400, "'latents' must hold integers from 0 to 63");
        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", \"sae\": \"" + sae + "\", \"edits\": [{\"latent\": "
                + "18446744073709551617, \"op\": \"clamp\", \"value\": 1}]}"), 400, "'edits[].latent'");
    }

    @Test
    void somethingAfterTheJsonBodyIs400() {
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"]} xyz"), 400, "not valid JSON");
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"]}{\"texts\": [\"b\"]}"), 400,
                "the body must be one JSON object with nothing after it, but '{' follows it");
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"]}]"), 400, "not valid JSON");
        assertThat(http.post(M + "/infer", "{\"texts\": [\"a\"]} \n\t ").status()).isEqualTo(200);
    }

    // ---- names and wording

    @Test
    void namesTooLongForAFileAre400NamingTheirBytes() {
        String name = "€".repeat(100); // 100 characters, 300 bytes of UTF-8
        assertError(http.post("/api/manipulations", "{\"name\": \"" + name + "\", \"sae\": \"" + sae + "\", "
                + "\"edits\": [{\"latent\": 1, \"op\": \"clamp\", \"value\": 2}]}"), 400,
                "'name' is 300 bytes long in UTF-8 (100 characters); at most 200 bytes");
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"texts\": [\"a\"], \"layers\": "
                + "[\"transformer.h.0\"], \"run\": \"" + name + "\"}"), 400, "'run' is 300 bytes long");
    }

    @Test
    void errorsNameWhatWasCounted() {
        StringBuilder layers = new StringBuilder();
        for (int i = 0; i < 33; i++) {
            layers.append(i == 0 ? "" : ", ").append("\"transformer.h.0\"");
        }
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"texts\": [\"a\"], \"layers\": ["
                + layers + "]}"), 400, "at most 32 layers per request, got 33");
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"texts\": [\"a\"]}"), 400,
                "missing 'layers' (or 'layer'): give at least one layer");
        int n = http.get(M + "/layers").json().path("count").asInt();
        for (String index : List.of("999", "99999999999999999999")) {
            assertError(http.post(M + "/infer", "{\"texts\": [\"a\"], \"hooks\": [{\"type\": \"capture\", \"layer\": \""
                    + index + "\"}]}"), 400, "layer index " + index + " is out of range: the model has " + n
                    + " hook points (0.." + (n - 1) + ")");
        }
    }
}
