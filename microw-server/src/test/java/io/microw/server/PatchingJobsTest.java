package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.PatchSite;
import io.microw.demo.BrownGpt2;
import io.microw.models.ModelConfig;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /api/models/{id}/patching as a job, over HTTP on brown-gpt2: a request that says {@code "async": true}, or a
 * large one, answers 202 with a patching job whose progress arrives over SSE and whose result equals the answer in
 * the request; cancel stops it; bad requests get 400 before any job is made; the OpenAPI document describes it. The
 * tests hold the model's lock while they submit, so that the job waits for the model until they watch it.
 */
class PatchingJobsTest extends DemoServerTest {

    /** Makes the prompts 18 tokens long: 72 cells by position, measured in three forwards of 32 patched copies. */
    static final String PREFIX = "It was a cold day and the town was quiet. ";

    static String request(String prefix, String what, Boolean async) {
        ObjectNode b = Json.object();
        b.put("clean", prefix + CircuitsTest.CLEAN);
        b.put("corrupt", prefix + CircuitsTest.CORRUPT);
        b.put("answer", " was");
        b.put("wrong", " had");
        b.put("what", what);
        if (async != null) {
            b.put("async", async);
        }
        return b.toString();
    }

    static ModelRegistry.Loaded model() {
        return server.models().get(BrownGpt2.NAME);
    }

    @Test
    void anAsyncRequestIsAJobWhoseProgressArrivesOverSseAndWhoseResultIsTheAnswerInTheRequest() throws Exception {
        String id;
        List<Http.Event> events = new ArrayList<>();
        CompletableFuture<Void> reading;
        model().lock.lock();
        try {
            HttpResponse<String> accepted = HttpClient.newHttpClient().send(http.request("POST", M + "/patching",
                    request(PREFIX, "resid-pre", true), null), HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            JsonNode job = Http.MAPPER.readTree(accepted.body());
            id = job.path("id").asText();
            assertThat(accepted.headers().firstValue("Location")).contains("/api/jobs/" + id);
            assertThat(job.path("kind").asText()).isEqualTo("patching");
            assertThat(job.path("status").asText()).isIn("queued", "running");
            assertThat(job.path("params").path("clean").asText()).isEqualTo(PREFIX + CircuitsTest.CLEAN);
            assertThat(job.path("params").path("model").asText()).isEqualTo(BrownGpt2.NAME);
            assertError(http.get("/api/jobs/" + id + "/result"), 409, "its result comes once it has succeeded");
            reading = http.events("/api/jobs/" + id + "/events", events);
            Http.awaitEvents(events, 1);
        } finally {
            model().lock.unlock();
        }
        reading.get(60, TimeUnit.SECONDS); // the stream ends with the job
        int cells = 4 * 18;
        synchronized (events) {
            assertThat(events.get(0).name()).isEqualTo("status");
            List<JsonNode> progress = events.stream().filter(e -> e.name().equals("progress")).map(Http.Event::data)
                    .toList();
            assertThat(progress).isNotEmpty();
            for (int i = 1; i < progress.size(); i++) {
                assertThat(progress.get(i).path("progress").path("fraction").asDouble())
                        .isGreaterThan(progress.get(i - 1).path("progress").path("fraction").asDouble());
            }
            JsonNode lastProgress = progress.get(progress.size() - 1).path("progress");
            assertThat(lastProgress.path("message").asText()).isEqualTo("cells " + cells + " of " + cells);
            assertThat(lastProgress.path("fraction").asDouble()).isEqualTo(1.0);
            Http.Event last = events.get(events.size() - 1);
            assertThat(last.name()).isEqualTo("status");
            assertThat(last.data().path("status").asText()).as(last.data().toString()).isEqualTo("succeeded");
        }
        JsonNode done = http.get("/api/jobs/" + id).json();
        assertThat(done.path("artifact").asText()).isEqualTo("data:jobs/" + id + "/result.json");

        Http.Resp result = http.get("/api/jobs/" + id + "/result");
        assertThat(result.status()).as(result.raw()).isEqualTo(200);
        Http.Resp inRequest = http.post(M + "/patching", request(PREFIX, "resid-pre", false));
        assertThat(inRequest.status()).as(inRequest.raw()).isEqualTo(200);
        assertThat(result.json()).isEqualTo(inRequest.json());
        assertThat(result.json().path("values").size()).isEqualTo(4);
        assertThat(result.json().path("columns").size()).isEqualTo(18);
    }

    @Test
    void aLargeRequestIsAJobWithoutAskingAndCancelStopsIt() {
        ModelConfig c = model().lm.config();
        long[] seven = new long[7];
        long[] hundred = new long[100];
        assertThat(new PatchingRequest(PatchSite.RESID_PRE, null, seven, seven, 1, 2).large(c)).isFalse();
        assertThat(new PatchingRequest(PatchSite.HEADS, null, hundred, hundred, 1, 2).large(c)).isFalse();
        assertThat(new PatchingRequest(PatchSite.RESID_PRE, null, hundred, hundred, 1, 2).large(c)).isTrue();

        String id;
        model().lock.lock();
        try {
            Http.Resp r = http.post(M + "/patching", request(PREFIX.repeat(8), "mlp-out", null));
            assertThat(r.status()).as(r.raw()).isEqualTo(202);
            id = r.json().path("id").asText();
            Http.Resp cancel = http.post("/api/jobs/" + id + "/cancel", null);
            assertThat(cancel.status()).as(cancel.raw()).isIn(200, 202);
        } finally {
            model().lock.unlock();
        }
        JsonNode cancelled = JobsTest.waitFor(http, id, "cancelled");
        assertThat(cancelled.path("artifact").isNull()).isTrue();
        assertError(http.get("/api/jobs/" + id + "/result"), 409, "is cancelled");
        // the model serves requests again
        assertThat(http.post(M + "/patching", CircuitsTest.body("heads")).status()).isEqualTo(200);
    }

    @Test
    void aCancelledPatchingJobSaysThatNothingIsKept() {
        pacing.pause(300);
        try {
            Http.Resp r = http.post(M + "/patching", request(PREFIX, "mlp-out", true));
            assertThat(r.status()).as(r.raw()).isEqualTo(202);
            String id = r.json().path("id").asText();
            JobsTest.waitFor(http, id, java.util.Set.of("running"), 1e-9);
            assertThat(http.post("/api/jobs/" + id + "/cancel", null).status()).isIn(200, 202);
            JsonNode cancelled = JobsTest.waitFor(http, id, "cancelled");
            assertThat(cancelled.path("progress").path("message").asText())
                    .isEqualTo("cancelled; POST /api/jobs/" + id + "/resume runs it again from the start");
            assertThat(http.get("/api/jobs/" + id + "/logs").raw())
                    .contains("cancelled; nothing is kept: a resume runs it again from the start")
                    .doesNotContain("partial work");
        } finally {
            pacing.pause(0);
        }
    }

    @Test
    void pathPatchingAndHeadsOfDifferentLengthsRunAsJobsWithTheAnswerInTheRequest() {
        String path = request(PREFIX, "path", true).replace("}",
                ", \"receivers\": [{\"layer\": 3, \"head\": 1}], \"channel\": \"v\"}");
        String heads = request(PREFIX, "heads", true).replace("the woman", "the old woman");
        for (String body : List.of(path, heads)) {
            Http.Resp accepted = http.post(M + "/patching", body);
            assertThat(accepted.status()).as(accepted.raw()).isEqualTo(202);
            String id = accepted.json().path("id").asText();
            JobsTest.waitFor(http, id, "succeeded");
            Http.Resp inRequest = http.post(M + "/patching", body.replace("\"async\":true", "\"async\":false"));
            assertThat(inRequest.status()).as(inRequest.raw()).isEqualTo(200);
            assertThat(http.get("/api/jobs/" + id + "/result").json()).isEqualTo(inRequest.json());
        }
    }

    @Test
    void badRequestsAre400BeforeAnyJobIsMade() {
        int jobs = http.get("/api/jobs").json().path("jobs").size();
        assertError(http.post(M + "/patching", request(PREFIX, "neurons", true)), 400,
                "unknown 'what' \"neurons\": one of [resid-pre");
        String longer = request(PREFIX, "resid-pre", true).replace("the woman", "the old woman");
        assertError(http.post(M + "/patching", longer), 400, "'clean' has 18 tokens but 'corrupt' has 19");
        for (String what : List.of("attn-pattern", "path")) {
            assertError(http.post(M + "/patching", request(PREFIX, what, true).replace("the woman", "the old woman")
                    .replace("}", what.equals("path") ? ", \"receivers\": [{\"layer\": 3, \"head\": 0}]}" : "}")),
                    400, "'clean' has 18 tokens but 'corrupt' has 19: \"" + what + "\" needs prompts of equal length");
        }
        assertError(http.post(M + "/patching", request(PREFIX, "path", true)), 400, "'receivers' must be an array");
        assertError(http.post(M + "/patching", request(PREFIX, "path", true).replace("}",
                ", \"receivers\": [{\"layer\": 4, \"head\": 0}]}")), 400, "receiver blocks.4 head 0 is out of range");
        assertError(http.post(M + "/patching", request(PREFIX, "heads", true).replace("\" had\"", "\" had been\"")),
                400, "'wrong' must be exactly one token");
        assertError(http.post(M + "/patching", request(PREFIX, "heads", null).replace("}", ", \"async\": \"yes\"}")),
                400, "'async' must be true or false, got \"yes\"");
        assertError(http.post("/api/models/gpt9/patching", request(PREFIX, "heads", true)), 404, "not allowed");
        assertThat(http.get("/api/jobs").json().path("jobs").size()).isEqualTo(jobs);
        assertError(http.get("/api/jobs/job-nope/result"), 404, "no job");
    }

    @Test
    void theOpenApiDocumentDescribesThePatchingJobAndItsResult() {
        JsonNode doc = http.get("/api/openapi.json").json();
        JsonNode patching = doc.path("paths").path("/api/models/{id}/patching").path("post");
        assertThat(patching.path("requestBody").toString()).contains("#/components/schemas/PatchingRequest");
        assertThat(patching.path("responses").path("200").toString()).contains("#/components/schemas/PatchingResult");
        assertThat(patching.path("responses").path("202").toString()).contains("#/components/schemas/Job");
        assertThat(doc.path("paths").path("/api/jobs/{id}/result").path("get").path("responses").path("200")
                .toString()).contains("#/components/schemas/PatchingResult");
        assertThat(doc.path("paths").path("/api/models/{id}/lens").path("post").path("responses").path("200")
                .toString()).contains("#/components/schemas/LensResult");
        JsonNode schemas = doc.path("components").path("schemas");
        JsonNode properties = schemas.path("PatchingRequest").path("properties");
        assertThat(properties.has("async")).isTrue();
        List<String> whats = new ArrayList<>(PatchSite.ids());
        whats.add("path");
        assertThat(properties.path("what").path("enum").toString()).isEqualTo(Json.MAPPER.valueToTree(whats)
                .toString());
        assertThat(properties.path("channel").path("enum").toString()).isEqualTo("[\"q\",\"k\",\"v\"]");
        assertThat(properties.path("receivers").path("items").path("required").toString())
                .isEqualTo("[\"layer\",\"head\"]");
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty().allSatisfy(ref -> assertThat(schemas.has(ref.substring(
                "#/components/schemas/".length()))).as(ref).isTrue());
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.has("$ref")) {
            refs.add(node.get("$ref").asText());
        }
        node.forEach(child -> collectRefs(child, refs));
    }
}
