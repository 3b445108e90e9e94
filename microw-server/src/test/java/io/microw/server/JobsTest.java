package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** Activation and training jobs, their events, cancel, restart and resume, and store runs, over HTTP. */
class JobsTest {

    static final String LAYER = "transformer.h.1";

    @TempDir
    static Path data;

    static MicrowServer server;
    static Http http;
    static final PausingPacing pacing = new PausingPacing();

    @BeforeAll
    static void start() {
        server = pacing.server(ServerConfig.builder().dataDirectory(data).build()).start(0);
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @AfterEach
    void noPause() {
        pacing.pause(0);
    }

    static String activations(String run, String source) {
        return "{\"model\": \"brown-gpt2\", " + source + ", \"layers\": [\"" + LAYER + "\"], \"batch_size\": 2, "
                + "\"run\": \"" + run + "\"}";
    }

    /** A job long enough to still be running when the test acts on it (the whole validation split, 2 a batch). */
    static String started(Http h, String run) {
        Http.Resp r = h.post("/api/jobs/activations", activations(run, "\"brown\": \"validation\""));
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    static JsonNode waitFor(Http h, String id, Set<String> statuses, double minProgress) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Http.Resp r = h.get("/api/jobs/" + id);
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
            String status = r.json().path("status").asText();
            if (statuses.contains(status) && r.json().path("progress").path("fraction").asDouble() >= minProgress) {
                return r.json();
            }
            assertThat(status).as("job %s ended before reaching %s: %s", id, statuses, r.raw())
                    .isNotIn("failed", "succeeded", "cancelled", "interrupted");
            assertThat(System.nanoTime()).as("job %s reached %s in time: %s", id, statuses, r.raw())
                    .isLessThan(deadline);
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static JsonNode waitFor(Http h, String id, String status) {
        return waitFor(h, id, Set.of(status), 0);
    }

    @Test
    void activationsJobOnBrownValidationSucceedsAndItsRunIsListed() {
        Http.Resp r = http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"brown\": \"validation\", "
                + "\"limit\": 6, \"layers\": [\"" + LAYER + "\"], \"batch_size\": 4, \"run\": \"val-h1\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        assertThat(r.json().path("kind").asText()).isEqualTo("activations");
        assertThat(r.json().path("status").asText()).isIn("queued", "running");
        String id = r.json().path("id").asText();
        JsonNode done = waitFor(http, id, "succeeded");
        assertThat(done.path("progress").path("fraction").asDouble()).isEqualTo(1.0);
        assertThat(done.path("artifact").asText()).endsWith("val-h1");
        assertThat(done.path("started_at").isTextual()).isTrue();
        assertThat(done.path("finished_at").isTextual()).isTrue();
        assertThat(http.get("/api/jobs").json().path("jobs").findValuesAsText("id")).contains(id);
        assertThat(http.get("/api/jobs?status=succeeded").json().path("jobs").findValuesAsText("id")).contains(id);
        assertError(http.get("/api/jobs/" + id + "/result"), 404, "(activations) has no result to read here");

        JsonNode runs = http.get("/api/runs").json().path("runs");
        assertThat(runs.findValuesAsText("run")).contains("val-h1");
        JsonNode run = http.get("/api/runs/val-h1").json();
        assertThat(run.path("status").asText()).isEqualTo("complete");
        assertThat(run.path("batches").asInt()).isEqualTo(2);
        assertThat(run.path("layers").get(0).asText()).isEqualTo(LAYER);
        assertThat(Files.isDirectory(data.resolve("store"))).isTrue();

        assertError(http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"texts\": [\"a b\"], "
                + "\"layers\": [\"" + LAYER + "\"], \"run\": \"val-h1\"}"), 409, "exists");
        assertError(http.post("/api/jobs/" + id + "/cancel", null), 409, "ended");
        assertError(http.post("/api/jobs/" + id + "/resume", null), 409, "succeeded");
    }

    @Test
    void trainingJobSucceedsWithMetricHistory() {
        Http.Resp act = http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"brown\": \"validation\", "
                + "\"limit\": 40, \"layers\": [\"" + LAYER + "\"], \"batch_size\": 8, \"run\": \"train-src\"}");
        assertThat(act.status()).as(act.raw()).isEqualTo(201);
        // a run still being written cannot be trained on
        Http.Resp early = http.post("/api/jobs/training", "{\"run\": \"train-src\"}");
        if (early.status() != 201) {
            assertThat(early.status()).as(early.raw()).isIn(404, 409);
        }
        waitFor(http, act.json().path("id").asText(), "succeeded");
        if (early.status() == 201) {
            waitFor(http, early.json().path("id").asText(), "succeeded");
        }
        Http.Resp r = http.post("/api/jobs/training", "{\"run\": \"train-src\", \"layer\": \"" + LAYER + "\", "
                + "\"d_sae\": 64, \"k\": 4, \"epochs\": 2, \"batch_size\": 64, \"metrics_every\": 2}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        String id = r.json().path("id").asText();
        JsonNode done = waitFor(http, id, "succeeded");
        JsonNode metrics = done.path("metrics");
        assertThat(metrics.size()).isGreaterThanOrEqualTo(3);
        long last = 0;
        for (JsonNode m : metrics) {
            assertThat(m.path("step").asLong()).isGreaterThan(last);
            last = m.path("step").asLong();
            assertThat(m.has("mse") && m.has("explained_variance") && m.has("l0")).isTrue();
        }
        assertThat(last).isEqualTo(metrics.get(metrics.size() - 1).path("total_steps").asLong());
        Path sae = data.resolve("saes").resolve(id);
        assertThat(done.path("artifact").asText()).isEqualTo("data:saes/" + id);
        assertThat(Files.isRegularFile(sae.resolve("cfg.json"))).isTrue();
        // the trained SAE loads through the SAE API
        assertThat(http.post("/api/models/brown-gpt2/load", null).status()).isEqualTo(201);
        Http.Resp load = http.post("/api/saes/load", "{\"path\": \"" + done.path("artifact").asText() + "\", "
                + "\"model\": \"brown-gpt2\"}");
        assertThat(load.status()).as(load.raw()).isEqualTo(201);
        assertThat(load.json().toString()).contains(LAYER);
        assertThat(http.post("/api/models/brown-gpt2/unload", null).status()).isEqualTo(200);
        // the list shows a count, the job its history
        JsonNode listed = http.get("/api/jobs").json().path("jobs");
        for (JsonNode j : listed) {
            if (j.path("id").asText().equals(id)) {
                assertThat(j.path("metrics_count").asInt()).isEqualTo(metrics.size());
            }
        }
    }

    @Test
    void aCancelledTrainingResumesFromItsCheckpointAndCompletes() {
        Http.Resp act = http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"brown\": \"validation\", "
                + "\"limit\": 40, \"layers\": [\"" + LAYER + "\"], \"batch_size\": 8, "
                + "\"run\": \"resume-src\"}");
        assertThat(act.status()).as(act.raw()).isEqualTo(201);
        waitFor(http, act.json().path("id").asText(), "succeeded");
        pacing.pause(40);
        Http.Resp r = http.post("/api/jobs/training", "{\"run\": \"resume-src\", \"d_sae\": 64, \"k\": 4, "
                + "\"epochs\": 6, \"batch_size\": 64, \"metrics_every\": 1, \"checkpoint_every\": 4}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        String id = r.json().path("id").asText();
        waitFor(http, id, Set.of("running"), 0.3);
        assertThat(http.post("/api/jobs/" + id + "/cancel", null).status()).isIn(200, 202);
        JsonNode cancelled = waitFor(http, id, "cancelled");
        pacing.pause(0);
        int seen = cancelled.path("metrics").size();
        assertThat(cancelled.path("progress").path("fraction").asDouble()).isLessThan(1.0);
        assertThat(Files.isDirectory(data.resolve("jobs").resolve(id).resolve("checkpoints"))).isTrue();
        assertThat(Files.exists(data.resolve("saes").resolve(id))).isFalse();

        assertThat(http.post("/api/jobs/" + id + "/resume", null).status()).isEqualTo(202);
        JsonNode done = waitFor(http, id, "succeeded");
        JsonNode metrics = done.path("metrics");
        long total = metrics.get(metrics.size() - 1).path("total_steps").asLong();
        assertThat(metrics.size()).isGreaterThan(seen);
        // one line per step, no repeats: the steps replayed from the checkpoint replaced their earlier lines
        assertThat(metrics.size()).isEqualTo((int) total);
        long last = 0;
        for (JsonNode m : metrics) {
            assertThat(m.path("step").asLong()).isEqualTo(last + 1);
            last = m.path("step").asLong();
        }
        assertThat(Files.isRegularFile(data.resolve("saes").resolve(id).resolve("cfg.json"))).isTrue();
    }

    @Test
    void cancelStopsARunningJobQuicklyAndTheRunCanBeDeleted() {
        String id = started(http, "cancelled-run");
        waitFor(http, id, Set.of("running"), 1e-9);
        long t = System.nanoTime();
        Http.Resp c = http.post("/api/jobs/" + id + "/cancel", null);
        assertThat(c.status()).as(c.raw()).isIn(200, 202);
        JsonNode done = waitFor(http, id, "cancelled");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t)).isLessThan(5000);
        assertThat(done.path("progress").path("fraction").asDouble()).isLessThan(1.0);
        assertThat(done.path("progress").path("message").asText()).contains("resume");
        // the partial run stays, no longer in use: it can be deleted
        JsonNode run = http.get("/api/runs/cancelled-run").json();
        assertThat(run.path("status").asText()).isNotEqualTo("complete");
        assertThat(http.delete("/api/runs/cancelled-run").status()).isEqualTo(200);
        assertError(http.get("/api/runs/cancelled-run"), 404, "no run");
        assertError(http.post("/api/jobs/" + id + "/cancel", null), 409, "ended");
    }

    @Test
    void eventsStreamProgressAndTheFinalStatus() throws Exception {
        // a long job holds the single runner, so the next one is still queued when the stream opens
        String blocker = started(http, "sse-blocker");
        Http.Resp r = http.post("/api/jobs/activations", activations("sse-run", "\"texts\": [\"The jury said\", "
                + "\"It was a cold day\", \"A man walked in\", \"They left early\", \"She smiled\", \"No one came\"]"));
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        String id = r.json().path("id").asText();
        assertThat(r.json().path("status").asText()).isEqualTo("queued");
        // a running job's run is in use
        assertError(http.delete("/api/runs/sse-blocker"), 409, "used by");

        List<Http.Event> events = new ArrayList<>();
        CompletableFuture<Void> reading = http.events("/api/jobs/" + id + "/events", events);
        // the first event (the current status) arrives before the queued job starts
        Http.awaitEvents(events, 1);
        assertThat(http.post("/api/jobs/" + blocker + "/cancel", null).status()).isIn(200, 202);
        reading.get(60, TimeUnit.SECONDS); // the stream ends with the job
        synchronized (events) {
            List<String> names = events.stream().map(Http.Event::name).toList();
            assertThat(names.get(0)).isEqualTo("status");
            assertThat(events.get(0).data().path("status").asText()).isEqualTo("queued");
            assertThat(names.stream().filter("progress"::equals).count()).isEqualTo(3);
            assertThat(names.get(names.size() - 1)).isEqualTo("status");
            assertThat(events.get(events.size() - 1).data().path("status").asText()).isEqualTo("succeeded");
            assertThat(events.stream().map(e -> e.data().path("status").asText()).toList()).contains("running");
        }
        assertThat(http.get("/api/jobs/" + blocker).json().path("status").asText()).isEqualTo("cancelled");
        // a stream on an ended job sends its status and ends
        List<Http.Event> ended = new ArrayList<>();
        http.events("/api/jobs/" + id + "/events", ended).get(10, TimeUnit.SECONDS);
        assertThat(ended).singleElement().satisfies(e -> {
            assertThat(e.name()).isEqualTo("status");
            assertThat(e.data().path("status").asText()).isEqualTo("succeeded");
        });
        assertError(http.get("/api/jobs/" + id + "/events"), 406, "text/event-stream");
    }

    @Test
    void aRestartMidJobReportsItInterruptedAndResumeCompletesIt(@TempDir Path dir) throws Exception {
        String id;
        pacing.pause(100);
        try (MicrowServer first = pacing.server(ServerConfig.builder().dataDirectory(dir).build()).start(0)) {
            Http h = new Http(first.port());
            Http.Resp r = h.post("/api/jobs/activations", activations("restart-run",
                    "\"brown\": \"validation\", \"limit\": 40"));
            assertThat(r.status()).as(r.raw()).isEqualTo(201);
            id = r.json().path("id").asText();
            waitFor(h, id, Set.of("running"), 0.1);
        } // stopped mid-job
        pacing.pause(0);
        try (MicrowServer second = new MicrowServer(ServerConfig.builder().dataDirectory(dir).build()).start(0)) {
            Http h = new Http(second.port());
            JsonNode job = h.get("/api/jobs/" + id).json();
            assertThat(job.path("status").asText()).isEqualTo("interrupted");
            double before = job.path("progress").path("fraction").asDouble();
            assertThat(before).isGreaterThan(0).isLessThan(1);
            JsonNode run = h.get("/api/runs/restart-run").json();
            assertThat(run.path("status").asText()).isNotEqualTo("complete");
            int partial = run.path("batches").asInt();
            assertThat(partial).isBetween(1, 19);

            Http.Resp resumed = h.post("/api/jobs/" + id + "/resume", null);
            assertThat(resumed.status()).as(resumed.raw()).isEqualTo(202);
            assertError(h.post("/api/jobs/" + id + "/resume", null), 409, "only interrupted or cancelled");
            JsonNode done = waitFor(h, id, "succeeded");
            assertThat(done.path("error").isNull()).isTrue();
            run = h.get("/api/runs/restart-run").json();
            assertThat(run.path("status").asText()).isEqualTo("complete");
            assertThat(run.path("batches").asInt()).isEqualTo(20);
        }
    }

    @Test
    void jobsLeftRunningByADeadProcessAreMarkedInterruptedOnOpen(@TempDir Path dir) {
        String running;
        String queued;
        String finished;
        try (JobStore store = new JobStore(dir.resolve("microw.db"))) {
            running = store.create("training", Json.object()).id();
            store.started(running);
            queued = store.create("activations", Json.object()).id();
            finished = store.create("activations", Json.object()).id();
            store.finish(finished, JobStore.Status.SUCCEEDED, "done", null, "/x");
        } // no clean stop: the records say running and queued
        try (JobStore store = new JobStore(dir.resolve("microw.db"))) {
            assertThat(store.interruptedAtOpen()).isEqualTo(2);
            assertThat(store.get(running).orElseThrow().status()).isEqualTo(JobStore.Status.INTERRUPTED);
            assertThat(store.get(queued).orElseThrow().status()).isEqualTo(JobStore.Status.INTERRUPTED);
            assertThat(store.get(finished).orElseThrow().status()).isEqualTo(JobStore.Status.SUCCEEDED);
            assertThat(store.get(finished).orElseThrow().artifact()).isEqualTo("/x");
            assertThat(store.list()).hasSize(3);
        }
    }

    @Test
    void badRequests() {
        String a = "/api/jobs/activations";
        assertError(http.post(a, null), 400, "JSON object body");
        assertError(http.post(a, "{not json"), 400, "not valid JSON");
        assertError(http.post(a, "{\"model\": \"nope\", \"texts\": [\"x\"], \"layers\": [\"" + LAYER + "\"]}"), 404,
                "not allowed");
        assertError(http.post(a, "{\"model\": \"brown-gpt2\", \"layers\": [\"" + LAYER + "\"]}"), 400, "either");
        assertError(http.post(a, "{\"model\": \"brown-gpt2\", \"texts\": [\"x\"], \"brown\": \"train\", "
                + "\"layers\": [\"" + LAYER + "\"]}"), 400, "either");
        assertError(http.post(a, "{\"model\": \"brown-gpt2\", \"brown\": \"test\", \"layers\": [\"" + LAYER + "\"]}"),
                400, "validation");
        assertError(http.post(a, "{\"model\": \"brown-gpt2\", \"brown\": \"train\"}"), 400, "layers");
        assertError(http.post(a, "{\"model\": \"brown-gpt2\", \"brown\": \"train\", \"layers\": [\"" + LAYER + "\"], "
                + "\"batch_size\": 0}"), 400, "batch_size");
        assertError(http.post(a, "{\"model\": \"brown-gpt2\", \"brown\": \"train\", \"layers\": [\"" + LAYER + "\"], "
                + "\"run\": \"../escape\"}"), 400, "not allowed");
        String t = "/api/jobs/training";
        assertError(http.post(t, "{}"), 400, "missing 'run'");
        assertError(http.post(t, "{\"run\": \"no-such-run\"}"), 404, "no run");
        assertError(http.post(t, "{\"run\": \"../x\"}"), 400, "not allowed");
        assertError(http.get("/api/jobs/job-nope"), 404, "no job");
        assertError(http.post("/api/jobs/job-nope/cancel", null), 404, "no job");
        assertError(http.post("/api/jobs/job-nope/resume", null), 404, "no job");
        assertError(http.get("/api/jobs/job-nope/events"), 404, "no job");
        assertError(http.get("/api/runs/nope"), 404, "no run");
        assertError(http.delete("/api/runs/nope"), 404, "no run");
        assertError(http.get("/api/runs/..%2Fx"), 400, "not allowed");
    }

    @Test
    void trainingRequestsAreCheckedAgainstTheRun() {
        Http.Resp act = http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"texts\": [\"The jury\", "
                + "\"It was\"], \"layers\": [\"" + LAYER + "\", \"transformer.h.0\"], \"run\": \"two-layers\"}");
        assertThat(act.status()).as(act.raw()).isEqualTo(201);
        waitFor(http, act.json().path("id").asText(), "succeeded");
        String t = "/api/jobs/training";
        assertError(http.post(t, "{\"run\": \"two-layers\"}"), 400, "missing 'layer'");
        assertError(http.post(t, "{\"run\": \"two-layers\", \"layer\": \"transformer.h.5\"}"), 400, "no layer");
        assertError(http.post(t, "{\"run\": \"two-layers\", \"layer\": \"" + LAYER + "\", \"architecture\": "
                + "\"nope\"}"), 400, "architecture");
        assertError(http.post(t, "{\"run\": \"two-layers\", \"layer\": \"" + LAYER + "\", \"metrics_every\": 3, "
                + "\"checkpoint_every\": 10}"), 400, "multiple");
        assertError(http.post(t, "{\"run\": \"two-layers\", \"layer\": \"" + LAYER + "\", \"d_sae\": 8, "
                + "\"k\": 9}"), 400, "'k'");
        assertError(http.post(t, "{\"run\": \"two-layers\", \"layer\": \"" + LAYER + "\", \"lr\": -1}"), 400, "lr");
    }
}
