package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.concepts.ConceptDictionary;
import io.microw.demo.BrownGpt2;
import io.microw.io.hub.PretrainedOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/saes/available} (the SAE picker's list) and loading what it lists: the embedded release with its
 * shipped concept names, an SAE a training job wrote, SAE folders in a file root (not through a link leading out,
 * not in hidden folders) and a registry release whose files are in a Hugging Face cache of the test's own.
 */
class AvailableSaesTest {

    static final Path DEMO_SAE = WebUiTest.TEST_SAE;
    static final String CACHED_REPO = "models--jbloom--GPT2-Small-SAEs-Reformatted";
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    static Path data;
    @TempDir
    static Path files;
    @TempDir
    static Path outside;
    @TempDir
    static Path hub;

    static MicrowServer server;
    static Http http;
    static String jobId;

    @BeforeAll
    static void start() throws IOException {
        copySae(files.resolve("nested/my-sae"));
        copySae(files.resolve(".hidden/sae"));
        copySae(files.resolve("d1/d2/d3/d4/too-deep")); // five levels down: past the walk's bound
        copySae(outside.resolve("sae"));
        Files.createSymbolicLink(files.resolve("escape"), outside.resolve("sae"));
        Files.createDirectories(files.resolve("not-an-sae"));
        Files.writeString(files.resolve("not-an-sae/notes.txt"), "hello");
        Path snapshot = hub.resolve("cache").resolve(CACHED_REPO).resolve("snapshots").resolve(COMMIT)
                .resolve("blocks.8.hook_resid_pre");
        Files.createDirectories(snapshot);
        Files.writeString(snapshot.resolve("cfg.json"), "{}");
        Files.writeString(snapshot.resolve("sae_weights.safetensors"), "-");
        Files.createDirectories(hub.resolve("cache").resolve(CACHED_REPO).resolve("refs"));
        Files.writeString(hub.resolve("cache").resolve(CACHED_REPO).resolve("refs/main"), COMMIT);
        PretrainedOptions options = PretrainedOptions.defaults().withCacheDir(hub.resolve("cache")).withOffline(true)
                .withEnvironment(Map.of("MICROW_HOME", hub.resolve("home").toString()));
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data).fileRoot(files)
                .allowedModels(List.of(BrownGpt2.NAME)).build(), options).start(0);
        http = new Http(server.port());
        assertThat(http.post("/api/models/brown-gpt2/load", null).status()).isEqualTo(201);
        Http.Resp act = http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"brown\": \"validation\", "
                + "\"limit\": 20, \"layers\": [\"transformer.h.1\"], \"batch_size\": 8, \"run\": \"picker-src\"}");
        assertThat(act.status()).as(act.raw()).isEqualTo(201);
        JobsTest.waitFor(http, act.json().path("id").asText(), "succeeded");
        Http.Resp train = http.post("/api/jobs/training", "{\"run\": \"picker-src\", \"layer\": \"transformer.h.1\", "
                + "\"d_sae\": 64, \"k\": 4, \"epochs\": 1, \"batch_size\": 64}");
        assertThat(train.status()).as(train.raw()).isEqualTo(201);
        jobId = train.json().path("id").asText();
        JobsTest.waitFor(http, jobId, "succeeded");
    }

    static void copySae(Path to) throws IOException {
        Files.createDirectories(to);
        try (var list = Files.list(DEMO_SAE)) {
            for (Path f : (Iterable<Path>) list::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    static List<JsonNode> available() {
        Http.Resp r = http.get("/api/saes/available");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().path("saes").forEach(out::add);
        return out;
    }

    static JsonNode only(List<JsonNode> entries, String kind) {
        List<JsonNode> of = entries.stream().filter(e -> e.path("kind").asText().equals(kind)).toList();
        assertThat(of).as(kind + " entries in " + entries).hasSize(1);
        return of.get(0);
    }

    @Test
    void listsTheEmbeddedReleaseFirstThenTheJobsSaeTheFolderInTheRootsAndTheCachedRelease() {
        List<JsonNode> entries = available();
        assertThat(entries.get(0).path("kind").asText()).isEqualTo("release");
        assertThat(entries.get(0).path("release").asText()).isEqualTo(BrownGpt2.SAE_RELEASE);
        assertThat(entries.get(0).path("sae_id").asText()).isEqualTo(BrownGpt2.SAE_ID);
        assertThat(entries.get(0).path("model").asText()).isEqualTo(BrownGpt2.NAME);
        assertThat(entries.get(0).path("label").asText()).contains(BrownGpt2.SAE_RELEASE).contains("embedded")
                .contains("named concepts");
        assertThat(entries.get(0).path("concepts").asBoolean()).isTrue();

        JsonNode job = only(entries, "job");
        assertThat(job.path("path").asText()).isEqualTo("data:saes/" + jobId);
        assertThat(job.path("label").asText()).contains("job " + jobId).contains("transformer.h.1");
        assertThat(job.path("model").asText()).isEqualTo(BrownGpt2.NAME);

        JsonNode folder = only(entries, "folder"); // not .hidden, too-deep, the link leading out or not-an-sae
        assertThat(folder.path("path").asText()).isEqualTo("files1:nested/my-sae");
        assertThat(folder.path("layer").asText()).isEqualTo("transformer.h.2");
        assertThat(folder.path("label").asText()).contains("named concepts");
        assertThat(folder.path("concepts").asBoolean()).isTrue();
        assertThat(job.path("concepts").asBoolean()).isFalse();

        JsonNode cached = only(entries, "cached");
        assertThat(cached.path("release").asText()).isEqualTo("gpt2-small-res-jb");
        assertThat(cached.path("sae_id").asText()).isEqualTo("blocks.8.hook_resid_pre");
        assertThat(cached.path("model").asText()).isEqualTo("gpt2-small");
        assertThat(cached.path("concepts").asBoolean()).isFalse();
        assertThat(entries).allSatisfy(e -> assertThat(e.path("loaded").isNull()).as(e.toString()).isTrue());
    }

    @Test
    void loadingWhatIsListedBringsTheShippedConceptNamesAndMarksTheEntryLoaded() {
        ConceptDictionary shipped = ConceptDictionary.load(DEMO_SAE.resolve(ConceptDictionary.FILE_NAME));
        ConceptDictionary.Concept first = shipped.concepts().get(0);
        for (JsonNode entry : List.of(available().get(0), only(available(), "folder"))) {
            String body = entry.has("path") ? "{\"path\": \"" + entry.path("path").asText() + "\""
                    : "{\"release\": \"" + entry.path("release").asText() + "\", \"sae_id\": \""
                    + entry.path("sae_id").asText() + "\"";
            Http.Resp r = http.post("/api/saes/load", body + ", \"model\": \"brown-gpt2\"}");
            assertThat(r.status()).as(r.raw()).isEqualTo(201);
            String id = r.json().path("id").asText();
            assertThat(r.json().path("concepts").asInt()).isEqualTo(shipped.size());
            JsonNode named = http.get("/api/saes/" + id + "/concepts").json().path("concepts");
            assertThat(named).hasSize(shipped.size());
            assertThat(named.get(0).path("latent").asInt()).isEqualTo(first.latent());
            assertThat(named.get(0).path("name").asText()).isEqualTo(first.name());
            JsonNode again = available().stream().filter(e -> e.path("label").equals(entry.path("label")))
                    .findFirst().orElseThrow();
            assertThat(again.path("loaded").asText()).isEqualTo(id);
            assertThat(http.delete("/api/saes/" + id).status()).isEqualTo(200);
        }
    }

    @Test
    void aFolderWithAnUnreadableConceptFileIsRefusedNamingTheFile() throws IOException {
        Path bad = files.resolve("bad-concepts");
        copySae(bad);
        Files.writeString(bad.resolve(ConceptDictionary.FILE_NAME), "{\"n_size\": 7, \"concepts\": {}}");
        try {
            assertError(http.post("/api/saes/load", "{\"path\": \"files1:bad-concepts\", \"model\": \"brown-gpt2\"}"),
                    400, "concepts.json beside the SAE files1:bad-concepts");
            assertThat(http.get("/api/saes").json().path("saes")).isEmpty();
        } finally {
            JobRunner.deleteTree(bad);
        }
    }

    @Test
    void theOpenApiDocumentDescribesTheList() {
        JsonNode doc = http.get("/api/openapi.json").json();
        JsonNode op = doc.path("paths").path("/api/saes/available").path("get");
        assertThat(op.path("responses").path("200").path("content").path("application/json").path("schema")
                .path("$ref").asText()).isEqualTo("#/components/schemas/AvailableSaes");
        assertThat(doc.path("components").path("schemas").path("AvailableSaes").path("properties").path("saes")
                .path("items").path("properties").path("kind").path("enum").toString())
                .isEqualTo("[\"release\",\"job\",\"folder\",\"cached\"]");
    }
}
