package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.analysis.ActivationPatching;
import io.microw.analysis.AttributionPatching;
import io.microw.analysis.IntegratedGradients;
import io.microw.analysis.PatchingResult;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * POST /api/models/{id}/attribution and /saliency on brown-gpt2: the answers equal {@link AttributionPatching},
 * {@link ActivationPatching} and {@link IntegratedGradients} computed here with the core API on the server's model, a
 * comparison's correlation equals the Pearson correlation of the two core tables, an attribution job reports its
 * progress and answers what the request answers, bad requests get 400 naming the field before any job is made, the
 * request guards hold for both routes, and the OpenAPI document describes them.
 */
class AttributionAndSaliencyTest extends DemoServerTest {

    static LanguageModel lm() {
        return server.models().get(BrownGpt2.NAME).lm;
    }

    static long token(String text) {
        long[] ids = lm().tokenizer().encode(text);
        assertThat(ids).as(text).hasSize(1);
        return ids[0];
    }

    static long[][] ids(String text) {
        return new long[][] {lm().tokenizer().encode(text)};
    }

    static LogitMetric wasVersusHad() {
        return LogitMetric.logitDiff(token(" was"), token(" had"));
    }

    @Test
    void attributionEqualsTheCoreApiAtEverySite() {
        long[][] clean = ids(CircuitsTest.CLEAN);
        long[][] corrupt = ids(CircuitsTest.CORRUPT);
        LogitMetric metric = wasVersusHad();
        Map<String, Supplier<PatchingResult>> sites = Map.of(
                "resid-pre", () -> AttributionPatching.residPre(lm(), clean, corrupt, metric),
                "attn-out", () -> AttributionPatching.attnOut(lm(), clean, corrupt, metric),
                "mlp-out", () -> AttributionPatching.mlpOut(lm(), clean, corrupt, metric),
                "heads", () -> AttributionPatching.attnHeads(lm(), clean, corrupt, metric));
        for (Map.Entry<String, Supplier<PatchingResult>> site : sites.entrySet()) {
            Http.Resp r = http.post(M + "/attribution", CircuitsTest.body(site.getKey()));
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
            assertThat(r.json().path("what").asText()).isEqualTo(site.getKey());
            assertThat(r.json().path("method").asText()).isEqualTo("attribution");
            CircuitsTest.assertSameTable(r.json(), site.getValue().get());
            assertThat(r.json().has("exact")).as("no comparison unless asked").isFalse();
            assertThat(r.json().has("correlation")).isFalse();
            assertThat(r.json().path("tokens").path("answer").path("id").asLong()).isEqualTo(token(" was"));
        }
    }

    @Test
    void aComparisonAnswersTheExactSweepAndThePearsonCorrelationOfTheTwo() {
        long[][] clean = ids(CircuitsTest.CLEAN);
        long[][] corrupt = ids(CircuitsTest.CORRUPT);
        Http.Resp r = http.post(M + "/attribution", compared("resid-pre"));
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        PatchingResult estimate = AttributionPatching.residPre(lm(), clean, corrupt, wasVersusHad());
        PatchingResult exact = ActivationPatching.defaults().residPre(lm(), clean, corrupt, wasVersusHad());
        CircuitsTest.assertSameTable(r.json(), estimate);
        CircuitsTest.assertSameTable(r.json().path("exact"), exact);
        double expected = correlation(estimate.values(), exact.values());
        assertThat(r.json().path("correlation").asDouble()).isCloseTo(expected, within(1e-5));
        System.out.printf("attribution vs exact patching, resid-pre, brown-gpt2: r = %.4f%n", expected);

        Http.Resp heads = http.post(M + "/attribution", compared("heads"));
        assertThat(heads.status()).as(heads.raw()).isEqualTo(200);
        CircuitsTest.assertSameTable(heads.json().path("exact"),
                ActivationPatching.defaults().attnHeads(lm(), clean, corrupt, wasVersusHad()));
        double headsR = correlation(AttributionPatching.attnHeads(lm(), clean, corrupt, wasVersusHad()).values(),
                ActivationPatching.defaults().attnHeads(lm(), clean, corrupt, wasVersusHad()).values());
        assertThat(heads.json().path("correlation").asDouble()).isCloseTo(headsR, within(1e-5));
        System.out.printf("attribution vs exact patching, heads, brown-gpt2: r = %.4f%n", headsR);
    }

    /** The circuits test's request at {@code what}, asking for the comparison. */
    static String compared(String what) {
        return CircuitsTest.body(what).replace("}", ", \"compare\": true}");
    }

    /** Pearson's r by the one-pass formula (n Σxy − Σx Σy) / √((n Σx² − (Σx)²)(n Σy² − (Σy)²)). */
    static double correlation(float[][] x, float[][] y) {
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[i].length; j++) {
                n++;
                sx += x[i][j];
                sy += y[i][j];
                sxy += (double) x[i][j] * y[i][j];
                sxx += (double) x[i][j] * x[i][j];
                syy += (double) y[i][j] * y[i][j];
            }
        }
        return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
    }

    @Test
    void anAttributionJobReportsItsCellsAndItsResultIsTheAnswerInTheRequest() {
        String body = PatchingJobsTest.request(PatchingJobsTest.PREFIX, "mlp-out", true).replace("}",
                ", \"compare\": true}");
        Http.Resp accepted = http.post(M + "/attribution", body);
        assertThat(accepted.status()).as(accepted.raw()).isEqualTo(202);
        assertThat(accepted.json().path("kind").asText()).isEqualTo("attribution");
        assertThat(accepted.json().path("params").path("compare").asBoolean()).isTrue();
        String id = accepted.json().path("id").asText();
        JobsTest.waitFor(http, id, "succeeded");
        int cells = 2 * 4 * 18; // the estimate's 4 layers × 18 positions at once, then the exact sweep's
        assertThat(http.get("/api/jobs/" + id + "/logs").raw()).contains("mlp-out on brown-gpt2: " + cells + " cells")
                .contains("\"cells " + cells / 2 + " of " + cells + "\"")
                .contains("\"cells " + cells + " of " + cells + "\"");
        Http.Resp inRequest = http.post(M + "/attribution", body.replace("\"async\":true", "\"async\":false"));
        assertThat(inRequest.status()).as(inRequest.raw()).isEqualTo(200);
        assertThat(http.get("/api/jobs/" + id + "/result").json()).isEqualTo(inRequest.json());
    }

    @Test
    void cancelStopsAnAttributionJobAndNothingIsKept() {
        pacing.pause(300);
        try {
            Http.Resp r = http.post(M + "/attribution", PatchingJobsTest.request(PatchingJobsTest.PREFIX, "resid-pre",
                    true).replace("}", ", \"compare\": true}"));
            assertThat(r.status()).as(r.raw()).isEqualTo(202);
            String id = r.json().path("id").asText();
            JobsTest.waitFor(http, id, java.util.Set.of("running"), 1e-9);
            assertThat(http.post("/api/jobs/" + id + "/cancel", null).status()).isIn(200, 202);
            JsonNode cancelled = JobsTest.waitFor(http, id, "cancelled");
            assertThat(cancelled.path("progress").path("message").asText())
                    .isEqualTo("cancelled; POST /api/jobs/" + id + "/resume runs it again from the start");
            assertThat(cancelled.path("artifact").isNull()).isTrue();
            assertError(http.get("/api/jobs/" + id + "/result"), 409, "is cancelled");
        } finally {
            pacing.pause(0);
        }
    }

    @Test
    void badAttributionRequestsAre400NamingTheFieldBeforeAnyJobIsMade() {
        int jobs = http.get("/api/jobs").json().path("jobs").size();
        for (String what : List.of("attn-pattern", "resid-mid", "path")) {
            assertError(http.post(M + "/attribution", CircuitsTest.body(what)), 400, "'what': '" + what
                    + "' is not one of resid-pre, attn-out, mlp-out, heads");
        }
        for (String what : List.of("heads", "resid-pre")) {
            String longer = CircuitsTest.body(what).replace("the woman", "the old woman");
            assertError(http.post(M + "/attribution", longer), 400, "'clean' has " + ids(CircuitsTest.CLEAN)[0].length
                    + " tokens but 'corrupt' has " + ids("The jury said that the old woman")[0].length
                    + ": attribution patching needs prompts of equal length, \"heads\" too");
        }
        assertError(http.post(M + "/attribution", CircuitsTest.body("heads").replace("}", ", \"compare\": 1}")), 400,
                "'compare' must be true or false, got 1");
        assertError(http.post(M + "/attribution", CircuitsTest.body("heads").replace("\" had\"", "\" had been\"")),
                400, "'wrong' must be exactly one token, but \" had been\" is 2 tokens");
        assertError(http.post(M + "/attribution", CircuitsTest.body("heads").replace("\"corrupt\"", "\"korrupt\"")),
                400, "missing 'corrupt'");
        assertError(http.post(M + "/attribution", CircuitsTest.body("heads").replace("}", ", \"async\": true, "
                + "\"compare\": \"yes\"}")), 400, "'compare' must be true or false");
        assertError(http.post("/api/models/gpt9/attribution", CircuitsTest.body("heads")), 404, "not allowed");
        assertThat(http.get("/api/jobs").json().path("jobs").size()).isEqualTo(jobs);
    }

    @Test
    void saliencyAndIntegratedGradientsEqualTheCoreApi() {
        long[] prompt = ids(CircuitsTest.CLEAN)[0];
        Http.Resp diff = http.post(M + "/saliency", "{\"prompt\": \"" + CircuitsTest.CLEAN + "\", "
                + "\"answer\": \" was\", \"wrong\": \" had\"}");
        assertThat(diff.status()).as(diff.raw()).isEqualTo(200);
        IntegratedGradients.Saliency s = IntegratedGradients.saliency(lm(), prompt, wasVersusHad());
        assertThat(diff.json().path("method").asText()).isEqualTo("saliency");
        assertThat(diff.json().path("metric").asText()).isEqualTo("logit_diff");
        assertValues(diff.json(), s.values(), prompt);
        assertThat(diff.json().path("metric_value").floatValue()).isCloseTo(s.metric(), within(1e-4f));
        assertThat(diff.json().path("wrong").path("id").asLong()).isEqualTo(token(" had"));

        // without an answer: the log-probability of the token /infer ranks first
        long top = http.post(M + "/infer", "{\"texts\": [\"" + CircuitsTest.CLEAN + "\"], \"top_k\": 1}").json()
                .path("results").get(0).path("next_tokens").get(0).path("id").asLong();
        Http.Resp plain = http.post(M + "/saliency", "{\"prompt\": \"" + CircuitsTest.CLEAN + "\"}");
        assertThat(plain.status()).as(plain.raw()).isEqualTo(200);
        assertThat(plain.json().path("answer").path("id").asLong()).isEqualTo(top);
        assertThat(plain.json().path("metric").asText()).isEqualTo("log_prob");
        assertThat(plain.json().has("wrong")).isFalse();
        IntegratedGradients.Saliency logProb = IntegratedGradients.saliency(lm(), prompt, LogitMetric.logProb(top));
        assertValues(plain.json(), logProb.values(), prompt);
        assertThat(plain.json().path("metric_value").floatValue()).isCloseTo(logProb.metric(), within(1e-4f));

        Http.Resp ig = http.post(M + "/saliency", "{\"prompt\": \"" + CircuitsTest.CLEAN + "\", \"answer\": \" was\", "
                + "\"wrong\": \" had\", \"method\": \"ig\", \"steps\": 16, \"baseline\": \" the\"}");
        assertThat(ig.status()).as(ig.raw()).isEqualTo(200);
        IntegratedGradients.Result r = IntegratedGradients.defaults().withSteps(16).withBaselineToken(token(" the"))
                .attribute(lm(), prompt, wasVersusHad());
        assertValues(ig.json(), r.attributions(), prompt);
        assertThat(ig.json().path("steps").asInt()).isEqualTo(16);
        assertThat(ig.json().path("baseline").path("id").asLong()).isEqualTo(token(" the"));
        assertThat(ig.json().path("metric_at_baseline").floatValue()).isCloseTo(r.metricAtBaseline(), within(1e-4f));
        assertThat(ig.json().path("convergence_delta").floatValue()).isCloseTo(r.convergenceDelta(), within(1e-4f));

        Http.Resp zero = http.post(M + "/saliency", "{\"prompt\": \"" + CircuitsTest.CLEAN + "\", \"method\": \"ig\"}");
        assertThat(zero.status()).as(zero.raw()).isEqualTo(200);
        assertThat(zero.json().path("steps").asInt()).isEqualTo(IntegratedGradients.DEFAULT_STEPS);
        assertThat(zero.json().has("baseline")).isFalse();
        assertValues(zero.json(), IntegratedGradients.defaults().attribute(lm(), prompt, LogitMetric.logProb(top))
                .attributions(), prompt);
    }

    static void assertValues(JsonNode answer, float[] expected, long[] prompt) {
        assertThat(answer.path("tokens").size()).isEqualTo(prompt.length);
        for (int i = 0; i < prompt.length; i++) {
            assertThat(answer.path("tokens").get(i).path("id").asLong()).isEqualTo(prompt[i]);
        }
        List<Float> values = new ArrayList<>();
        answer.path("values").forEach(v -> values.add(v.floatValue()));
        assertThat(values).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(values.get(i)).as("token %d", i).isCloseTo(expected[i], within(1e-4f));
        }
        assertThat(values).anySatisfy(v -> assertThat(v).isNotZero());
    }

    @Test
    void badSaliencyRequestsAre400NamingTheField() {
        String p = "{\"prompt\": \"" + CircuitsTest.CLEAN + "\"";
        assertError(http.post(M + "/saliency", p + ", \"method\": \"lrp\"}"), 400,
                "unknown 'method' \"lrp\": one of [saliency, ig]");
        assertError(http.post(M + "/saliency", p + ", \"steps\": 8}"), 400,
                "'steps' and 'baseline' are for \"method\": \"ig\", not \"saliency\"");
        assertError(http.post(M + "/saliency", p + ", \"method\": \"ig\", \"steps\": 0}"), 400,
                "'steps' must be an integer from 1 to 256, got 0");
        assertError(http.post(M + "/saliency", p + ", \"method\": \"ig\", \"baseline\": \" the man\"}"), 400,
                "'baseline' must be exactly one token");
        assertError(http.post(M + "/saliency", p + ", \"answer\": \" was\", \"wrong\": \" was\"}"), 400,
                "'answer' and 'wrong' are the same token \" was\"");
        assertError(http.post(M + "/saliency", p + ", \"answer\": \" was not\"}"), 400,
                "'answer' must be exactly one token, but \" was not\" is 2 tokens");
        assertError(http.post(M + "/saliency", "{\"prompt\": \"\"}"), 400, "'prompt' must have 1 to");
        assertError(http.post(M + "/saliency", "{\"text\": \"x\"}"), 400, "missing 'prompt'");
        String longText = "word ".repeat(300).strip();
        assertError(http.post(M + "/saliency", "{\"prompt\": \"" + longText + "\"}"), 400,
                "more than the context of model 'brown-gpt2' (256 tokens)");
    }

    @Test
    void theNewRoutesKeepTheRequestGuards() {
        for (String route : List.of("/attribution", "/saliency")) {
            String host = "Host: 127.0.0.1:" + server.port();
            assertError(RawHttp.send(server.port(), RawHttp.request("POST " + M + route + " HTTP/1.1", host,
                    "Content-Length: 0", "Content-Type: text/plain")).resp(), 415, "text/plain");
            assertError(RawHttp.send(server.port(), RawHttp.request("POST " + M + route + " HTTP/1.1", host,
                    "Content-Length: 0", "Content-Type: application/json", "Origin: http://evil.example")).resp(),
                    403, "Origin 'http://evil.example'");
            assertError(RawHttp.send(server.port(), RawHttp.request("POST " + M + route + " HTTP/1.1",
                    "Host: evil.example", "Content-Length: 0", "Content-Type: application/json")).resp(), 421,
                    "evil.example");
        }
        assertThat(server.url()).startsWith("http://127.0.0.1:");
    }

    @Test
    void theOpenApiDocumentDescribesAttributionAndSaliency() {
        JsonNode doc = http.get("/api/openapi.json").json();
        JsonNode attribution = doc.path("paths").path("/api/models/{id}/attribution").path("post");
        assertThat(attribution.path("requestBody").toString()).contains("#/components/schemas/AttributionRequest");
        assertThat(attribution.path("responses").path("200").toString())
                .contains("#/components/schemas/AttributionResult");
        assertThat(attribution.path("responses").path("202").toString()).contains("#/components/schemas/Job");
        assertThat(attribution.path("responses").has("400")).isTrue();
        JsonNode saliency = doc.path("paths").path("/api/models/{id}/saliency").path("post");
        assertThat(saliency.path("requestBody").toString()).contains("#/components/schemas/SaliencyRequest");
        assertThat(saliency.path("responses").path("200").toString()).contains("#/components/schemas/SaliencyResult");
        JsonNode schemas = doc.path("components").path("schemas");
        assertThat(schemas.path("AttributionRequest").path("properties").path("what").path("enum").toString())
                .isEqualTo("[\"resid-pre\",\"attn-out\",\"mlp-out\",\"heads\"]");
        assertThat(schemas.path("AttributionRequest").path("properties").has("compare")).isTrue();
        assertThat(schemas.path("SaliencyRequest").path("properties").path("method").path("enum").toString())
                .isEqualTo("[\"saliency\",\"ig\"]");
        assertThat(schemas.path("Job").path("properties").path("kind").path("enum").toString()).contains("attribution");
        assertThat(schemas.path("AttributionResult").path("allOf").get(0).path("$ref").asText())
                .isEqualTo("#/components/schemas/PatchingResult");
        // every example body the document gives is one the route accepts
        for (String route : List.of("attribution", "saliency")) {
            JsonNode example = doc.path("paths").path("/api/models/{id}/" + route).path("post").path("requestBody")
                    .path("content").path("application/json").path("example");
            Http.Resp r = http.post(M + "/" + route, example.toString());
            assertThat(r.status()).as(route + ": " + r.raw()).isEqualTo(200);
        }
    }
}
