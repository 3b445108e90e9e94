package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The REST API over HTTP against a server on 127.0.0.1 with the embedded brown-gpt2 (no API key). */
class MicrowServerTest {

    static final String M = "/api/models/brown-gpt2";

    @TempDir
    static Path data;
    @TempDir
    static Path outside;

    static MicrowServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        server = new MicrowServer(ServerConfig.builder()
                .dataDirectory(data)
                .allowedModels(List.of(BrownGpt2.NAME, "example/not-loaded"))
                .maxRequestBytes(64 * 1024)
                .build()).start(0);
        http = new Http(server.port());
        assertThat(http.post(M + "/load", null).status()).isEqualTo(201);
        // an SAE whose input width is brown-gpt2's residual width
        int d = http.get(M + "/layers").json().path("count").asInt() > 0 ? hidden() : 0;
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, d, 64, 4), 7)) {
            sae.save(data.resolve("saes").resolve("topk"));
        }
        Files.createDirectories(data.resolve("saes").resolve("empty"));
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, d, 64, 4), 7)) {
            sae.save(outside.resolve("sae"));
        }
    }

    static int hidden() {
        return http.get("/api/models").json().path("loaded").get(0).path("hidden_size").asInt();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    static void assertError(Http.Resp r, int status, String fragment) {
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.json().path("status").asInt()).isEqualTo(status);
        assertThat(r.json().path("error").asText()).containsIgnoringCase(fragment);
        assertThat(r.raw()).doesNotContain("\tat ").doesNotContain("Exception:");
    }

    // ---- server

    @Test
    void healthMetricsAndBoundPort() {
        assertThat(server.port()).isPositive();
        assertThat(server.url()).isEqualTo("http://127.0.0.1:" + server.port() + "/api");
        assertThat(http.get("/api/health").json().path("status").asText()).isEqualTo("ok");
        JsonNode m = http.get("/api/metrics").json();
        assertThat(m.path("uptime_seconds").asDouble()).isGreaterThanOrEqualTo(0);
        assertThat(m.path("requests_served").asLong()).isPositive();
        assertThat(m.path("loaded_models")).extracting(JsonNode::asText).contains(BrownGpt2.NAME);
    }

    @Test
    void unknownRouteIsJson404() {
        assertError(http.get("/api/nothing"), 404, "no route");
    }

    @Test
    void openApiListsExactlyTheRegisteredRoutes() {
        Http.Resp r = http.get("/api/openapi.json");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("openapi").asText()).startsWith("3.");
        Set<String> documented = new HashSet<>();
        Iterator<Map.Entry<String, JsonNode>> paths = r.json().path("paths").fields();
        while (paths.hasNext()) {
            Map.Entry<String, JsonNode> p = paths.next();
            p.getValue().fieldNames().forEachRemaining(method -> documented.add(method.toUpperCase() + " " + p.getKey()));
        }
        Set<String> registered = new HashSet<>(server.registeredRoutes());
        assertThat(registered).hasSize(server.registeredRoutes().size()).hasSizeGreaterThanOrEqualTo(14);
        assertThat(documented).isEqualTo(registered);
        for (String route : documented) {
            String[] parts = route.split(" ");
            String path = parts[1].replaceAll("\\{[a-z]+}", "zz-none");
            Http.Resp probe = http.send(parts[0], path, parts[0].equals("POST") ? "{}" : null, null);
            assertThat(probe.raw()).as(route).doesNotContain("no route");
        }
    }

    // ---- models

    @Test
    void listsAllowedAndLoadedModels() {
        JsonNode m = http.get("/api/models").json();
        assertThat(m.path("allowed")).extracting(JsonNode::asText).containsExactly(BrownGpt2.NAME, "example/not-loaded");
        JsonNode loaded = m.path("loaded").get(0);
        assertThat(loaded.path("id").asText()).isEqualTo(BrownGpt2.NAME);
        assertThat(loaded.path("architecture").asText()).isEqualTo("GPT2LMHeadModel");
    }

    @Test
    void modelErrors() {
        assertError(http.post("/api/models/gpt9/load", null), 404, "not allowed");
        assertError(http.post("/api/models/a..b/load", null), 404, "not allowed");
        assertError(http.post(M + "/load", null), 409, "already loaded");
        assertError(http.get("/api/models/example--not-loaded/layers"), 409, "not loaded");
        assertError(http.post("/api/models/example--not-loaded/unload", null), 409, "not loaded");
        assertError(http.get("/api/models/nope/layers"), 404, "not allowed");
    }

    @Test
    void layerTreeWithAliases() {
        JsonNode r = http.get(M + "/layers").json();
        assertThat(r.path("count").asInt()).isGreaterThan(10);
        JsonNode root = r.path("tree");
        assertThat(root.path("name").asText()).isEqualTo("root");
        List<JsonNode> all = new ArrayList<>();
        collect(root, all);
        JsonNode block = all.stream().filter(n -> n.path("name").asText().equals("transformer.h.1")).findFirst()
                .orElseThrow();
        assertThat(block.path("aliases")).extracting(JsonNode::asText).contains("blocks.1");
        assertThat(all.stream().filter(n -> n.path("hookable").asBoolean()).count()).isEqualTo(r.path("count").asLong());
    }

    private static void collect(JsonNode n, List<JsonNode> out) {
        out.add(n);
        n.path("children").forEach(c -> collect(c, out));
    }

    // ---- inference

    @Test
    void inferReturnsTokensRealProbabilitiesAndHookResults() {
        Http.Resp r = http.post(M + "/infer", "{\"texts\": [\"The jury said\", \"It was\"], \"top_k\": 3, \"hooks\": ["
                + "{\"type\": \"capture\", \"layer\": \"blocks.1.hook_resid_post\"},"
                + "{\"type\": \"scale\", \"layer\": \"transformer.h.0.mlp\", \"factor\": 2}]}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        JsonNode results = r.json().path("results");
        assertThat(results).hasSize(2);
        JsonNode first = results.get(0);
        assertThat(first.path("tokens").size()).isGreaterThan(1);
        JsonNode next = first.path("next_tokens");
        assertThat(next).hasSize(3);
        double previous = 1;
        for (JsonNode t : next) {
            double p = t.path("probability").asDouble();
            assertThat(p).isBetween(0.0, previous);
            previous = p;
        }
        // the probabilities are a softmax over the logits: their ratio is exp(logit difference)
        double ratio = next.get(0).path("probability").asDouble() / next.get(1).path("probability").asDouble();
        double diff = next.get(0).path("logit").asDouble() - next.get(1).path("logit").asDouble();
        assertThat(Math.log(ratio)).isCloseTo(diff, org.assertj.core.data.Offset.offset(1e-4));
        JsonNode hooks = first.path("hooks");
        assertThat(hooks).hasSize(2);
        JsonNode capture = hooks.get(1);
        assertThat(capture.path("type").asText()).isEqualTo("capture");
        assertThat(capture.path("layer").asText()).isEqualTo("transformer.h.1.hook_resid_post");
        assertThat(capture.path("shape")).extracting(JsonNode::asInt)
                .containsExactly(1, first.path("tokens").size(), hidden());
        assertThat(capture.path("std").asDouble()).isPositive();
        assertThat(capture.path("norm").asDouble()).isPositive();
        assertThat(hooks.get(0).path("factor").asDouble()).isEqualTo(2.0);
    }

    @Test
    void scaleHookChangesTheForwardAndIsGoneAfterwards() {
        String plain = "{\"texts\": [\"The jury said\"], \"hooks\": [{\"type\": \"capture\", \"layer\": \"transformer.h.2\"}]}";
        JsonNode before = http.post(M + "/infer", plain).json();
        JsonNode scaled = http.post(M + "/infer", "{\"texts\": [\"The jury said\"], \"hooks\": [{\"type\": \"capture\", "
                + "\"layer\": \"transformer.h.2\"}, {\"type\": \"scale\", \"layer\": \"transformer.h.1.mlp\", \"factor\": 5}]}")
                .json();
        assertThat(stat(scaled, "norm")).isNotEqualTo(stat(before, "norm"));
        // a request whose second hook is bad: 400, and its first (valid) hook must not stay registered
        assertError(http.post(M + "/infer", "{\"texts\": [\"x\"], \"hooks\": [{\"type\": \"scale\", \"layer\": "
                + "\"transformer.h.1.mlp\", \"factor\": 5}, {\"type\": \"capture\", \"layer\": \"no.such.layer\"}]}"),
                400, "no.such.layer");
        JsonNode after = http.post(M + "/infer", plain).json();
        assertThat(after).isEqualTo(before);
    }

    @Test
    void theHookCatalogueListsEveryTypeAndAblateZeroesALayer() {
        JsonNode types = http.get("/api/hooks").json().path("hooks");
        assertThat(types.findValuesAsText("type")).containsExactly("capture", "scale", "ablate");
        assertThat(types.get(1).path("fields").toString()).contains("factor");
        // ablating the last block's MLP equals scaling it by 0; both differ from the plain forward
        String capture = "{\"type\": \"capture\", \"layer\": \"transformer.ln_f\"}";
        JsonNode plain = http.post(M + "/infer", "{\"texts\": [\"The jury said\"], \"hooks\": [" + capture + "]}").json();
        Http.Resp ablated = http.post(M + "/infer", "{\"texts\": [\"The jury said\"], \"hooks\": [" + capture
                + ", {\"type\": \"ablate\", \"layer\": \"transformer.h.3.mlp\"}]}");
        assertThat(ablated.status()).as(ablated.raw()).isEqualTo(200);
        JsonNode zeroScaled = http.post(M + "/infer", "{\"texts\": [\"The jury said\"], \"hooks\": [" + capture
                + ", {\"type\": \"scale\", \"layer\": \"transformer.h.3.mlp\", \"factor\": 0}]}").json();
        JsonNode a = ablated.json().path("results").get(0);
        assertThat(a.path("hooks").get(0).path("type").asText()).isEqualTo("ablate");
        assertThat(a.path("hooks").get(0).has("factor")).isFalse();
        assertThat(a.path("next_tokens")).isEqualTo(zeroScaled.path("results").get(0).path("next_tokens"));
        assertThat(a.path("next_tokens")).isNotEqualTo(plain.path("results").get(0).path("next_tokens"));
        assertError(http.post(M + "/infer", "{\"texts\": [\"x\"], \"hooks\": [{\"type\": \"ablate\", \"layer\": "
                + "\"transformer.h.1\"}, {\"type\": \"scale\", \"layer\": \"layer_1\", \"factor\": 2}]}"),
                400, "two controllers");
        assertError(http.post(M + "/infer", "{\"texts\": [\"x\"], \"hooks\": [{\"type\": \"boost\", \"layer\": "
                + "\"transformer.h.1\"}]}"), 400, "GET /api/hooks");
    }

    private static double stat(JsonNode r, String name) {
        JsonNode hooks = r.path("results").get(0).path("hooks");
        return hooks.get(hooks.size() - 1).path(name).asDouble();
    }

    @Test
    void inferErrors() {
        assertError(http.post(M + "/infer", "{not json"), 400, "not valid JSON");
        assertError(http.post(M + "/infer", "[1, 2]"), 400, "JSON object");
        assertError(http.post(M + "/infer", ""), 400, "JSON object body");
        assertError(http.post(M + "/infer", "{}"), 400, "missing 'texts'");
        assertError(http.post(M + "/infer", "{\"texts\": [3]}"), 400, "array of strings");
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"], \"hooks\": [{\"type\": \"zap\", \"layer\": \"x\"}]}"),
                400, "unknown hook type");
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"], \"hooks\": [{\"type\": \"scale\", \"layer\": "
                + "\"transformer.h.1\"}]}"), 400, "factor");
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"], \"hooks\": [{\"type\": \"capture\", \"layer\": "
                + "\"transformer.h\"}]}"), 400, "container");
        assertError(http.post(M + "/infer", "{\"texts\": [\"a\"], \"top_k\": 0}"), 400, "top_k");
        assertError(http.post("/api/models/nope/infer", "{\"texts\": [\"a\"]}"), 404, "not allowed");
        assertError(http.post("/api/models/example--not-loaded/infer", "{\"texts\": [\"a\"]}"), 409, "not loaded");
    }

    @Test
    void oversizeBodyIs413() {
        String big = "{\"texts\": [\"" + "a".repeat(100 * 1024) + "\"]}";
        assertError(http.post(M + "/infer", big), 413, "larger than");
    }

    @Test
    void fiftyConcurrentInferencesMatchTheSameRequestsAlone() throws Exception {
        String[] words = {"The jury", "It was", "He said that", "In the morning", "She had been", "They were not"};
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String text = words[i % words.length] + " " + i;
            String hooks = "{\"type\": \"capture\", \"layer\": \"transformer.h.3\"}";
            if (i % 3 == 0) {
                hooks += ", {\"type\": \"scale\", \"layer\": \"transformer.h." + (i % 3 == 0 ? 1 : 2) + ".mlp\", "
                        + "\"factor\": " + (1 + i % 7) + "}";
            }
            bodies.add("{\"texts\": [\"" + text + "\"], \"hooks\": [" + hooks + "]}");
        }
        List<JsonNode> alone = new ArrayList<>();
        for (String b : bodies) {
            Http.Resp r = http.post(M + "/infer", b);
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
            alone.add(r.json());
        }
        List<CompletableFuture<Http.Resp>> futures = new ArrayList<>();
        for (String b : bodies) {
            futures.add(http.sendAsync("POST", M + "/infer", b));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(50, TimeUnit.SECONDS);
        for (int i = 0; i < bodies.size(); i++) {
            Http.Resp r = futures.get(i).get();
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
            assertSame(r.json(), alone.get(i), "request " + i);
        }
    }

    /** Equal JSON, numbers within a relative 1e-5 (the forward is deterministic, but leave room for float noise). */
    static void assertSame(JsonNode actual, JsonNode expected, String where) {
        if (expected.isNumber() && !expected.isIntegralNumber()) {
            double e = expected.asDouble();
            assertThat(actual.asDouble()).as(where).isCloseTo(e, org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(e))));
        } else if (expected.isContainerNode()) {
            assertThat(actual.size()).as(where).isEqualTo(expected.size());
            if (expected.isArray()) {
                for (int i = 0; i < expected.size(); i++) {
                    assertSame(actual.get(i), expected.get(i), where + "[" + i + "]");
                }
            } else {
                expected.fieldNames().forEachRemaining(f -> assertSame(actual.path(f), expected.get(f), where + "." + f));
            }
        } else {
            assertThat(actual).as(where).isEqualTo(expected);
        }
    }

    // ---- generation

    @Test
    void concurrentGreedyGenerationsAreBatchedAndMatchEachRequestAlone() throws Exception {
        String[] starts = {"The jury said", "It was a bright cold morning when", "He had never seen so many",
            "According to the report, the city", "When I was a boy,", "The team scored twice in the"};
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            bodies.add(i == 5
                    ? "{\"prompt\": \"" + "word ".repeat(300) + "\", \"max_new_tokens\": 6}" // too long for the context
                    : "{\"prompts\": [\"" + starts[i % starts.length] + "\"" + (i % 4 == 0 ? ", \"She\"" : "")
                            + "], \"max_new_tokens\": 6}");
        }
        List<Http.Resp> alone = new ArrayList<>();
        for (String b : bodies) {
            alone.add(http.post(M + "/generate", b));
        }
        assertError(alone.get(5), 400, "context");
        long batchedBefore = http.get("/api/metrics").json().path("batched_generation_requests").asLong();
        List<CompletableFuture<Http.Resp>> futures = new ArrayList<>();
        for (String b : bodies) {
            futures.add(http.sendAsync("POST", M + "/generate", b));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        for (int i = 0; i < bodies.size(); i++) {
            Http.Resp r = futures.get(i).get();
            assertThat(r.status()).as("request %d: %s", i, r.raw()).isEqualTo(alone.get(i).status());
            assertThat(r.json()).as("request %d", i).isEqualTo(alone.get(i).json());
        }
        JsonNode metrics = http.get("/api/metrics").json();
        assertThat(metrics.path("batched_generation_requests").asLong()).as("requests served in shared batches")
                .isGreaterThan(batchedBefore);
    }

    @Test
    void generateGreedyAndSeededSampling() {
        String greedy = "{\"prompt\": \"The jury said\", \"max_new_tokens\": 6}";
        Http.Resp a = http.post(M + "/generate", greedy);
        assertThat(a.status()).as(a.raw()).isEqualTo(200);
        JsonNode r = a.json().path("results").get(0);
        assertThat(r.path("tokens").size()).isBetween(1, 6);
        assertThat(r.path("text").asText()).startsWith("The jury said");
        assertThat(r.path("text").asText()).isEqualTo("The jury said" + r.path("completion").asText());
        assertThat(http.post(M + "/generate", greedy).json()).isEqualTo(a.json());
        String sampled = "{\"prompts\": [\"It was\", \"He said\"], \"max_new_tokens\": 8, \"temperature\": 1.2, "
                + "\"top_k\": 40, \"top_p\": 0.95, \"seed\": 11, \"hooks\": [{\"type\": \"scale\", \"layer\": "
                + "\"transformer.h.0.mlp\", \"factor\": 1.5}]}";
        Http.Resp s1 = http.post(M + "/generate", sampled);
        assertThat(s1.status()).as(s1.raw()).isEqualTo(200);
        assertThat(s1.json().path("sampled").asBoolean()).isTrue();
        assertThat(s1.json().path("results")).hasSize(2);
        assertThat(s1.json().path("hooks").get(0).path("layer").asText()).isEqualTo("transformer.h.0.mlp");
        assertThat(http.post(M + "/generate", sampled).json()).isEqualTo(s1.json());
    }

    @Test
    void generateErrors() {
        assertError(http.post(M + "/generate", "{\"max_new_tokens\": 3}"), 400, "missing 'prompts'");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"max_new_tokens\": 0}"), 400, "max_new_tokens");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"temperature\": -1}"), 400, "temperature");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"temperature\": 1, \"top_p\": 2}"), 400, "top_p");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"seed\": \"x\"}"), 400, "seed");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"hooks\": [{\"type\": \"capture\", \"layer\": "
                + "\"transformer.h.1\"}]}"), 400, "capture");
        assertError(http.post("/api/models/zzz/generate", "{\"prompt\": \"a\"}"), 404, "not allowed");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"repetition_penalty\": 0}"), 400,
                "repetition_penalty");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"stop\": [\"\"]}"), 400, "empty");
        assertError(http.post(M + "/generate", "{\"prompt\": \"a\", \"stop\": \"x\"}"), 400, "'stop'");
    }

    @Test
    void generateWithARepetitionPenaltyAndStopStrings() {
        JsonNode plain = http.post(M + "/generate", "{\"prompt\": \"The jury said\", \"max_new_tokens\": 16}")
                .json().path("results").get(0);
        Http.Resp penalised = http.post(M + "/generate", "{\"prompt\": \"The jury said\", \"max_new_tokens\": 16, "
                + "\"repetition_penalty\": 1.8}");
        assertThat(penalised.status()).as(penalised.raw()).isEqualTo(200);
        assertThat(penalised.json().path("results").get(0).path("completion").asText())
                .isNotEqualTo(plain.path("completion").asText());
        // stop at the text of the third new token: the continuation ends with that token
        String third = plain.path("tokens").get(2).path("text").asText().strip();
        ObjectNode body = Http.MAPPER.createObjectNode();
        body.put("prompt", "The jury said");
        body.put("max_new_tokens", 16);
        body.putArray("stop").add(third);
        JsonNode stopped = http.post(M + "/generate", body.toString()).json().path("results").get(0);
        assertThat(stopped.path("tokens").size()).isBetween(1, 3);
        assertThat(stopped.path("completion").asText()).contains(third);
        assertThat(plain.path("completion").asText()).startsWith(stopped.path("completion").asText());
    }

    // ---- SAEs

    @Test
    void saeLifecycleAndInference() {
        Http.Resp loaded = http.post("/api/saes/load",
                "{\"path\": \"saes/topk\", \"model\": \"brown-gpt2\", \"layer\": \"blocks.1.hook_resid_post\"}");
        assertThat(loaded.status()).as(loaded.raw()).isEqualTo(201);
        String id = loaded.json().path("id").asText();
        assertThat(loaded.json().path("layer").asText()).isEqualTo("transformer.h.1.hook_resid_post");
        assertThat(loaded.json().path("d_sae").asInt()).isEqualTo(64);
        assertThat(http.get("/api/saes").json().path("saes")).extracting(n -> n.path("id").asText()).contains(id);
        assertThat(http.get("/api/saes/" + id).json().path("k").asInt()).isEqualTo(4);

        Http.Resp r = http.post("/api/saes/" + id + "/infer", "{\"model\": \"brown-gpt2\", \"text\": \"The jury said\", "
                + "\"top_k\": 3}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        int tokens = http.post(M + "/infer", "{\"texts\": [\"The jury said\"]}").json().path("results").get(0)
                .path("tokens").size();
        JsonNode perToken = r.json().path("tokens");
        assertThat(perToken).hasSize(tokens);
        for (JsonNode t : perToken) {
            assertThat(t.path("active").asInt()).isBetween(0, 4);
            assertThat(t.path("top_latents").size()).isLessThanOrEqualTo(3);
            double prev = Double.MAX_VALUE;
            for (JsonNode l : t.path("top_latents")) {
                assertThat(l.path("latent").asInt()).isBetween(0, 63);
                assertThat(l.path("value").asDouble()).isPositive().isLessThanOrEqualTo(prev);
                prev = l.path("value").asDouble();
            }
        }
        assertThat(r.json().path("top_latents").size()).isBetween(1, 3);
        // the same request gives the same latents
        assertThat(http.post("/api/saes/" + id + "/infer", "{\"text\": \"The jury said\", \"top_k\": 3}").json())
                .isEqualTo(r.json());

        assertThat(http.delete("/api/saes/" + id).status()).isEqualTo(200);
        assertError(http.get("/api/saes/" + id), 404, "no SAE");
        assertError(http.delete("/api/saes/" + id), 404, "no SAE");
        assertError(http.post("/api/saes/" + id + "/infer", "{\"text\": \"a\"}"), 404, "no SAE");
    }

    @Test
    void saePathsAreConfinedToTheRoots() {
        assertError(http.post("/api/saes/load", "{\"path\": \"../../etc\", \"model\": \"brown-gpt2\"}"), 403,
                "file roots");
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/../../" + outside.getFileName() + "/sae\", "
                + "\"model\": \"brown-gpt2\", \"layer\": \"transformer.h.1\"}"), 403, "file roots");
        assertError(http.post("/api/saes/load", "{\"path\": \"" + outside.resolve("sae") + "\", \"model\": "
                + "\"brown-gpt2\", \"layer\": \"transformer.h.1\"}"), 403, "file roots");
        assertError(http.post("/api/saes/load", "{\"path\": \"/etc/passwd\", \"model\": \"brown-gpt2\"}"), 403,
                "file roots");
    }

    @Test
    void saeLoadErrors() throws Exception {
        Path link = data.resolve("saes").resolve("link");
        if (!Files.exists(link)) {
            Files.createSymbolicLink(link, outside.resolve("sae"));
        }
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/link\", \"model\": \"brown-gpt2\", "
                + "\"layer\": \"transformer.h.1\"}"), 403, "link");
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/missing\", \"model\": \"brown-gpt2\"}"), 404,
                "no SAE folder");
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/empty\", \"model\": \"brown-gpt2\"}"), 400,
                "cfg.json");
        assertError(http.post("/api/saes/load", "{\"model\": \"brown-gpt2\"}"), 400, "missing 'path'");
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/topk\", \"model\": \"brown-gpt2\", "
                + "\"layer\": \"transformer.h.0.attn.c_attn\"}"), 400, "values per token");
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/topk\", \"model\": \"brown-gpt2\", "
                + "\"layer\": \"nope\"}"), 400, "nope");
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/topk\", \"model\": \"brown-gpt2\"}"), 400,
                "missing 'layer'");
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/topk\", \"model\": \"example--not-loaded\", "
                + "\"layer\": \"transformer.h.1\"}"), 409, "not loaded");
        assertError(http.post("/api/saes/load", "{\"path\": \"saes/topk\", \"model\": \"nope\", "
                + "\"layer\": \"transformer.h.1\"}"), 404, "not allowed");
        assertThat(http.get("/api/saes").json().path("saes")).isEmpty();
    }

    @Test
    void errorsCarryNoStackTrace() {
        ObjectNode weird = Http.MAPPER.createObjectNode();
        weird.put("texts", "not an array");
        assertError(http.post(M + "/infer", weird.toString()), 400, "array");
    }
}
