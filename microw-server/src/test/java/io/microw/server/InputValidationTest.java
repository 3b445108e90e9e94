package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.demo.BrownGpt2;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeLensFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests at the edges of their types and of the file system: numbers beyond a float or a long, bodies with
 * something after the JSON, file paths through links leading out of the roots, names too long for a file, and
 * responses that hold no non-finite numbers and no absolute paths of the server's machine.
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

    /** The response holds neither absolute paths of the server's roots nor of the user's home directory. */
    static void assertNoServerPaths(Http.Resp r) {
        assertThat(r.raw()).as(r.raw()).doesNotContain(data.toString()).doesNotContain(files.toString())
                .doesNotContain(models.toString()).doesNotContain(System.getProperty("user.home") + "/");
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

    // ---- links out of the roots

    @Test
    void anSaeFileLinkedOutOfTheRootsIs403WhetherOrNotItsTargetExists() throws Exception {
        String[] errors = new String[2];
        int i = 0;
        for (Path target : List.of(outside.resolve("sae").resolve(SaeLensFormat.WEIGHTS_FILE),
                outside.resolve("missing.safetensors"))) {
            Path dir = Files.createDirectories(data.resolve("saes/linked-" + i));
            Files.copy(data.resolve("saes/topk").resolve(SaeLensFormat.CONFIG_FILE),
                    dir.resolve(SaeLensFormat.CONFIG_FILE));
            Files.createSymbolicLink(dir.resolve(SaeLensFormat.WEIGHTS_FILE), target);
            Http.Resp r = http.post("/api/saes/load", "{\"path\": \"saes/linked-" + i + "\", \"model\": "
                    + "\"brown-gpt2\", \"layer\": \"transformer.h.1\"}");
            assertError(r, 403, "'path' (its entry 'sae_weights.safetensors') leads out of the server's file roots");
            errors[i++] = r.raw();
        }
        assertThat(errors[1]).isEqualTo(errors[0]);
        Path dir = Files.createDirectories(data.resolve("saes/linked-config"));
        Files.copy(data.resolve("saes/topk").resolve(SaeLensFormat.WEIGHTS_FILE), dir.resolve(SaeLensFormat.WEIGHTS_FILE));
        Files.createSymbolicLink(dir.resolve(SaeLensFormat.CONFIG_FILE),
                outside.resolve("sae").resolve(SaeLensFormat.CONFIG_FILE));
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/linked-config\", \"model\": \"brown-gpt2\", "
                + "\"layer\": \"transformer.h.1\"}"), 403, "its entry 'cfg.json'");
    }

    @Test
    void linksOutOfTheRootsGiveTheSameAnswerWhetherOrNotTheirTargetExists() throws Exception {
        Files.createSymbolicLink(data.resolve("sae-out"), outside.resolve("sae"));
        Files.createSymbolicLink(data.resolve("sae-nowhere"), outside.resolve("no-such-folder"));
        Files.createSymbolicLink(data.resolve("texts-out.jsonl"), outside.resolve("texts.jsonl"));
        Files.createSymbolicLink(data.resolve("texts-nowhere.jsonl"), outside.resolve("no-such.jsonl"));
        Files.createSymbolicLink(data.resolve("concepts-out.json"), outside.resolve("concepts.json"));
        Files.createSymbolicLink(data.resolve("concepts-nowhere.json"), outside.resolve("no-such.json"));
        String[][] pairs = {
            {"/api/saes/load", "{\"model\": \"brown-gpt2\", \"layer\": \"transformer.h.1\", \"path\": \"sae-%s\"}"},
            {"/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"layers\": [\"transformer.h.1\"], \"dataset\": "
                    + "{\"path\": \"texts-%s.jsonl\"}}"},
            {"/api/saes/" + sae + "/concepts", "{\"path\": \"concepts-%s.json\"}"}};
        for (String[] p : pairs) {
            Http.Resp existing = http.post(p[0], p[1].formatted("out"));
            Http.Resp missing = http.post(p[0], p[1].formatted("nowhere"));
            assertError(existing, 403, "leads out of the server's file roots, or nowhere, through a link");
            assertThat(missing.raw()).as(p[0]).isEqualTo(existing.raw());
        }
        assertError(http.post("/api/saes/load", "{\"path\": \"" + outside.resolve("sae") + "\", \"model\": "
                + "\"brown-gpt2\"}"), 403, "must lie inside the server's file roots (its data directory or a "
                + "--file-root folder); '" + outside.resolve("sae") + "' does not");
    }

    // ---- no absolute paths in responses

    @Test
    void pathsAreShownRelativeToTheRoots() throws Exception {
        Http.Resp saes = http.get("/api/saes");
        assertThat(saes.json().path("saes").get(0).path("path").asText()).isEqualTo("data:saes/topk");
        assertNoServerPaths(saes);
        Http.Resp fromFiles = http.post("/api/saes/load", "{\"path\": \"" + files.resolve("sae") + "\", \"model\": "
                + "\"brown-gpt2\", \"layer\": \"transformer.h.2\"}");
        assertThat(fromFiles.json().path("path").asText()).as(fromFiles.raw()).isEqualTo("files1:sae");
        assertThat(http.delete("/api/saes/" + fromFiles.json().path("id").asText()).status()).isEqualTo(200);
        // a shown path can be sent back
        Http.Resp again = http.post("/api/saes/load", "{\"path\": \"files1:sae\", \"model\": \"brown-gpt2\", "
                + "\"layer\": \"transformer.h.2\"}");
        assertThat(again.json().path("path").asText()).as(again.raw()).isEqualTo("files1:sae");
        assertThat(http.delete("/api/saes/" + again.json().path("id").asText()).status()).isEqualTo(200);
        assertError(http.post("/api/saes/load", "{\"path\": \"files2:sae\", \"model\": \"brown-gpt2\"}"), 400,
                "'path' names files2:, but the server has 1 --file-root folders");
        assertError(http.post("/api/saes/load", "{\"path\": \"data:../x\", \"model\": \"brown-gpt2\"}"), 403,
                "file roots");

        Http.Resp store = http.get("/api/store");
        assertThat(store.json().path("path").asText()).isEqualTo("data:");
        assertNoServerPaths(store);

        Http.Resp mini = http.post("/api/models/mini/load", null);
        assertThat(mini.json().path("source").asText()).as(mini.raw()).isEqualTo("models1:mini");
        assertNoServerPaths(http.get("/api/models"));
        assertThat(http.post("/api/models/mini/unload", null).status()).isEqualTo(200);

        Http.Resp missing = http.post("/api/saes/load", "{\"path\": \"saes/missing\", \"model\": \"brown-gpt2\"}");
        assertError(missing, 404, "no SAE folder at data:saes/missing");
        assertNoServerPaths(missing);
        Path broken = Files.createDirectories(data.resolve("saes/broken"));
        Files.copy(data.resolve("saes/topk").resolve(SaeLensFormat.CONFIG_FILE), broken.resolve(SaeLensFormat.CONFIG_FILE));
        Files.writeString(broken.resolve(SaeLensFormat.WEIGHTS_FILE), "not safetensors");
        Http.Resp cannot = http.post("/api/saes/load", "{\"path\": \"saes/broken\", \"model\": \"brown-gpt2\", "
                + "\"layer\": \"transformer.h.1\"}");
        assertError(cannot, 400, "cannot load the SAE at data:saes/broken: ");
        assertThat(cannot.raw()).contains("data:saes/broken/sae_weights.safetensors");
        assertNoServerPaths(cannot);
        Http.Resp concepts = http.post("/api/saes/" + sae + "/concepts", "{\"path\": \"nothing.json\"}");
        assertError(concepts, 404, "no concept dictionary file at data:nothing.json");
    }

    @Test
    void jobParamsLogsAndRunMetadataShowNoAbsolutePaths() throws Exception {
        Files.writeString(data.resolve("texts.jsonl"), "{\"text\": \"The jury said it.\"}\n{\"text\": \"It was.\"}\n");
        Http.Resp created = http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"dataset\": {\"path\": \""
                + data.resolve("texts.jsonl") + "\"}, \"layers\": [\"transformer.h.0\"], \"run\": \"paths\"}");
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        assertThat(created.json().path("params").path("dataset").path("path").asText()).isEqualTo("data:texts.jsonl");
        String id = created.json().path("id").asText();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Set.of("succeeded", "failed").contains(http.get("/api/jobs/" + id).json().path("status").asText())) {
            assertThat(System.nanoTime()).as("the job ends in time").isLessThan(deadline);
            Thread.sleep(30);
        }
        Http.Resp job = http.get("/api/jobs/" + id);
        assertThat(job.json().path("status").asText()).as(job.raw()).isEqualTo("succeeded");
        assertNoServerPaths(job);
        Http.Resp logs = http.get("/api/jobs/" + id + "/logs");
        assertThat(logs.raw()).contains("texts from dataset data:texts.jsonl");
        assertNoServerPaths(logs);
        Http.Resp runs = http.get("/api/runs");
        assertThat(runs.json().path("runs").get(0).path("metadata").isObject()).as(runs.raw()).isTrue();
        assertNoServerPaths(runs);
        assertNoServerPaths(http.get("/api/runs/paths"));
    }

    @Test
    void manipulationsRecordTheirSaeFolderRelativeToTheRoots() {
        Http.Resp created = http.post("/api/manipulations", "{\"name\": \"shown\", \"sae\": \"" + sae + "\", "
                + "\"edits\": [{\"latent\": 1, \"op\": \"clamp\", \"value\": 2}]}");
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        assertThat(created.json().path("sae_path").asText()).isEqualTo("data:saes/topk");
        assertNoServerPaths(http.get("/api/manipulations"));
        Http.Resp preview = http.post("/api/manipulations/shown/preview", "{\"prompt\": \"The jury\", "
                + "\"max_new_tokens\": 2}");
        assertThat(preview.status()).as("the config finds its loaded SAE: " + preview.raw()).isEqualTo(200);
        assertThat(http.delete("/api/manipulations/shown").status()).isEqualTo(200);
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
