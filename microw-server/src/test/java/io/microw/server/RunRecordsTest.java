package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.store.WriterProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static io.microw.server.JobsTest.activations;
import static io.microw.server.JobsTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What activation jobs record in their runs: cancelled and interrupted runs say so, a run left running by a dead
 * process reads as interrupted, and a job is not resumed onto a run saved from another dataset.
 */
class RunRecordsTest {

    private final PausingPacing pacing = new PausingPacing();

    private MicrowServer start(Path data) {
        return pacing.server(ServerConfig.builder().dataDirectory(data).build()).start(0);
    }

    @Test
    void aCancelledJobsRunIsCancelledAndItIsNotResumedOntoARunOfOtherTexts(@TempDir Path data) {
        pacing.pause(50);
        try (MicrowServer server = start(data)) {
            Http http = new Http(server.port());
            Http.Resp created = http.post("/api/jobs/activations", activations("mix",
                    "\"brown\": \"validation\", \"limit\": 40"));
            assertThat(created.status()).as(created.raw()).isEqualTo(201);
            String id = created.json().path("id").asText();
            waitFor(http, id, Set.of("running"), 0.1);
            assertThat(http.post("/api/jobs/" + id + "/cancel", null).status()).isIn(200, 202);
            waitFor(http, id, "cancelled");
            JsonNode run = http.get("/api/runs/mix").json();
            assertThat(run.path("status").asText()).isEqualTo("cancelled");
            assertThat(run.path("metadata").path("dataset").path("identity").path("source").asText())
                    .isEqualTo("validation");
            assertThat(run.path("model").path("id").asText()).isEqualTo("brown-gpt2");
            pacing.pause(0);

            // the run is deleted and made again by another job, from other texts
            assertThat(http.delete("/api/runs/mix").status()).isEqualTo(200);
            Http.Resp other = http.post("/api/jobs/activations", activations("mix",
                    "\"texts\": [\"The jury said\", \"It was a cold day\", \"A man walked in\"]"));
            assertThat(other.status()).as(other.raw()).isEqualTo(201);
            waitFor(http, other.json().path("id").asText(), "succeeded");

            assertThat(http.post("/api/jobs/" + id + "/resume", null).status()).isEqualTo(202);
            JsonNode failed = waitFor(http, id, "failed");
            assertThat(failed.path("error").asText()).contains("cannot resume run 'mix': it was saved from texts "
                    + "inline (first 3 rows sha256 ", "this save reads brown validation (limit 40; first 40 rows "
                    + "sha256 ", "resume with the same dataset or choose another run name");
            run = http.get("/api/runs/mix").json();
            assertThat(run.path("status").asText()).isEqualTo("complete");
            assertThat(run.path("batches").asInt()).isEqualTo(2);
        }
    }

    @Test
    void aRunLeftRunningByADeadProcessIsInterruptedAndAStoppedServerSaysSo(@TempDir Path data) throws Exception {
        Path ghost = Files.createDirectories(data.resolve("store/runs/ghost"));
        ObjectNode meta = Json.object().put("run_id", "ghost").put("status", "running");
        WriterProcess me = WriterProcess.current();
        // a server killed with kill -9 while it wrote the run: no process has this pid now
        meta.set("writer", new WriterProcess(Integer.MAX_VALUE, me.startedAt(), me.host()).toJson());
        Files.writeString(ghost.resolve("meta.json"), meta.toString());
        String id;
        pacing.pause(100);
        try (MicrowServer server = start(data)) {
            Http http = new Http(server.port());
            JsonNode run = http.get("/api/runs/ghost").json();
            assertThat(run.path("status").asText()).isEqualTo("interrupted");
            assertThat(run.path("metadata").path("status_reason").asText()).contains("is gone");
            assertThat(http.get("/api/runs").json().path("runs").get(0).path("status").asText())
                    .isEqualTo("interrupted");

            Http.Resp r = http.post("/api/jobs/activations", activations("stopped",
                    "\"brown\": \"validation\", \"limit\": 40"));
            assertThat(r.status()).as(r.raw()).isEqualTo(201);
            id = r.json().path("id").asText();
            waitFor(http, id, Set.of("running"), 0.1);
        } // stopped mid-job
        pacing.pause(0);
        try (MicrowServer server = start(data)) {
            Http http = new Http(server.port());
            assertThat(http.get("/api/jobs/" + id).json().path("status").asText()).isEqualTo("interrupted");
            assertThat(http.get("/api/runs/stopped").json().path("status").asText()).isEqualTo("interrupted");
            assertThat(http.post("/api/jobs/" + id + "/resume", null).status()).isEqualTo(202);
            waitFor(http, id, "succeeded");
            assertThat(http.get("/api/runs/stopped").json().path("status").asText()).isEqualTo("complete");
        }
    }
}
