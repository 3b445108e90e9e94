package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.demo.BrownGpt2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** GET /api/store, job logs, dataset sources of activation jobs, and chunked bodies over the size limit. */
class StoreAndLogsTest {

    static final String LAYER = "transformer.h.0";

    @TempDir
    static Path data;
    @TempDir
    static Path files;

    static MicrowServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data).fileRoot(files)
                .allowedModels(List.of(BrownGpt2.NAME)).maxRequestBytes(16 * 1024).build()).start(0);
        http = new Http(server.port());
        Files.writeString(files.resolve("texts.jsonl"), "{\"text\": \"The jury said it.\", \"id\": 1}\n"
                + "{\"text\": \"It was a cold day.\", \"id\": 2}\n{\"text\": \"He went home.\", \"id\": 3}\n"
                + "{\"text\": \"She had been there.\", \"id\": 4}\n");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    /** Polls a job until it ends; returns its last state. */
    static JsonNode ended(String id) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonNode j = http.get("/api/jobs/" + id).json();
            if (Set.of("succeeded", "failed", "cancelled", "interrupted").contains(j.path("status").asText())) {
                return j;
            }
            assertThat(System.nanoTime()).as("job %s ends in time", id).isLessThan(deadline);
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static String submit(String path, String body) {
        Http.Resp r = http.post(path, body);
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    static List<String> logTexts(String id, int after) {
        Http.Resp r = http.get("/api/jobs/" + id + "/logs?after=" + after);
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.json().path("job").asText()).isEqualTo(id);
        List<String> out = new ArrayList<>();
        long n = after;
        for (JsonNode line : r.json().path("lines")) {
            assertThat(line.path("n").asLong()).isEqualTo(++n);
            assertThat(line.path("time").asText()).isNotEmpty();
            out.add(line.path("text").asText());
        }
        return out;
    }

    @Test
    void jobLogsStoreInfoAndADatasetSource() {
        JsonNode before = http.get("/api/store").json();
        assertThat(before.path("path").asText()).isEqualTo("data:");
        assertThat(before.path("runs").asInt()).isZero();
        assertThat(before.path("manipulations").asInt()).isZero();
        assertThat(before.path("free_bytes").asLong()).isPositive();

        String job = submit("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"dataset\": {\"path\": \""
                + files.resolve("texts.jsonl") + "\", \"text_field\": \"text\"}, \"limit\": 3, \"layers\": [\"" + LAYER
                + "\"], \"batch_size\": 2, \"run\": \"from-jsonl\"}");
        JsonNode done = ended(job);
        assertThat(done.path("status").asText()).as(done.toString()).isEqualTo("succeeded");
        List<String> logs = logTexts(job, 0);
        assertThat(logs.get(0)).isEqualTo("started activations job");
        assertThat(logs.get(1)).startsWith("source: 3 texts from dataset ").endsWith("texts.jsonl");
        assertThat(logs).anyMatch(l -> l.startsWith("batch 1 of 2")).anyMatch(l -> l.startsWith("batch 2 of 2"));
        assertThat(logs.get(logs.size() - 1)).startsWith("finished: succeeded");
        assertThat(logTexts(job, 2)).isEqualTo(logs.subList(2, logs.size()));
        assertThat(logTexts(job, logs.size())).isEmpty();
        assertError(http.get("/api/jobs/job-nothing/logs"), 404, "no job");
        assertError(http.get("/api/jobs/" + job + "/logs?after=-1"), 400, "after");

        // training on that run logs its metrics lines and checkpoints
        String training = submit("/api/jobs/training", "{\"run\": \"from-jsonl\", \"d_sae\": 32, \"k\": 4, "
                + "\"batch_size\": 4, \"epochs\": 2, \"metrics_every\": 1, \"checkpoint_every\": 2}");
        JsonNode trained = ended(training);
        assertThat(trained.path("status").asText()).as(trained.toString()).isEqualTo("succeeded");
        List<String> tlogs = logTexts(training, 0);
        assertThat(tlogs).anyMatch(l -> l.startsWith("step 1 of ")).contains("checkpoint at step 2")
                .anyMatch(l -> l.startsWith("finished: succeeded"));

        JsonNode after = http.get("/api/store").json();
        assertThat(after.path("runs").asInt()).isEqualTo(1);
        assertThat(after.path("saes")).extracting(JsonNode::asText).containsExactly(training);
        assertThat(after.path("bytes").asLong()).isGreaterThan(before.path("bytes").asLong());
    }

    @Test
    void aFailedJobLogsItsMessage() {
        String job = submit("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"dataset\": {\"path\": \""
                + files.resolve("texts.jsonl") + "\", \"text_field\": \"body\"}, \"layers\": [\"" + LAYER + "\"]}");
        JsonNode done = ended(job);
        assertThat(done.path("status").asText()).isEqualTo("failed");
        List<String> logs = logTexts(job, 0);
        assertThat(logs.get(0)).isEqualTo("started activations job");
        assertThat(logs.get(logs.size() - 1)).startsWith("failed: ").contains("body")
                .isEqualTo("failed: " + done.path("error").asText());
    }

    @Test
    void datasetSourcesAreCheckedAndConfined() {
        String rest = ", \"layers\": [\"" + LAYER + "\"]}";
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"dataset\": {\"path\": "
                + "\"../../etc/passwd\"}" + rest), 403, "file roots");
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"dataset\": {\"path\": \""
                + files.resolve("missing.jsonl") + "\"}" + rest), 404, "no dataset file");
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"dataset\": {\"path\": \""
                + data.resolve("microw.db") + "\"}" + rest), 400, "dataset.path");
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"dataset\": {}" + rest), 400,
                "exactly one of 'path'");
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"dataset\": {\"hub\": "
                + "\"no slash\"}" + rest), 400, "dataset.hub");
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"brown\": \"train\", \"dataset\": "
                + "{\"path\": \"x.jsonl\"}" + rest), 400, "exactly one of");
        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\"" + rest), 400, "exactly one of");
    }

    /** POSTs {@code body} in chunks (no Content-Length); returns status and response text. */
    static Http.Resp chunked(String path, byte[] body) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + server.port() + path).toURL()
                .openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setChunkedStreamingMode(1024);
        c.setRequestProperty("Content-Type", "application/json");
        try {
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
        } catch (java.io.IOException e) {
            // the server may answer and close before the whole body is sent; the answer is still readable
        }
        int status = c.getResponseCode();
        String text;
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        c.disconnect();
        return new Http.Resp(status, Http.MAPPER.readTree(text), text);
    }

    @Test
    void chunkedBodiesAreHeldToTheSizeLimit() throws Exception {
        byte[] big = ("{\"texts\": [\"" + "a".repeat(64 * 1024) + "\"]}").getBytes(StandardCharsets.UTF_8);
        Http.Resp r = chunked("/api/models/brown-gpt2/infer", big);
        assertError(r, 413, "larger than this server's limit of 16384 bytes");
        // a small chunked body is read as usual
        Http.Resp small = chunked("/api/jobs/activations", ("{\"model\": \"brown-gpt2\", \"dataset\": {\"path\": "
                + "\"../../etc/passwd\"}, \"layers\": [\"" + LAYER + "\"]}").getBytes(StandardCharsets.UTF_8));
        assertError(small, 403, "file roots");
        assertThat(http.get("/api/health").status()).isEqualTo(200);
    }
}
