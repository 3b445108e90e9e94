package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.concepts.LatentContext;
import io.microw.concepts.TopTextSource;
import io.microw.concepts.TopTextsExport;
import io.microw.demo.BrownGpt2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Concept dictionaries, top texts and latent statistics, steering and saved manipulations, over HTTP, with the
 * small top-k SAE trained on brown-gpt2's transformer.h.2 (a test resource of microw-demo).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConceptsAndSteeringTest {

    static final String M = "/api/models/brown-gpt2";
    static final Path SAE_RESOURCE = Path.of("../microw-demo/src/main/resources/io/microw/demo/sae-h2-topk1024");

    @TempDir
    static Path data;

    static MicrowServer server;
    static Http http;
    static String sae;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createDirectories(data.resolve("saes").resolve("h2"));
        for (String f : List.of("cfg.json", "sae_weights.safetensors")) {
            Files.copy(SAE_RESOURCE.resolve(f), dir.resolve(f));
        }
        startServer();
        sae = loadSae();
    }

    static void startServer() {
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data).allowedModels(List.of(BrownGpt2.NAME))
                .maxRequestBytes(64 * 1024).build()).start(0);
        http = new Http(server.port());
        assertThat(http.post(M + "/load", null).status()).isEqualTo(201);
    }

    static String loadSae() {
        Http.Resp r = http.post("/api/saes/load", "{\"path\": \"saes/h2\", \"model\": \"brown-gpt2\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        assertThat(r.json().path("layer").asText()).isEqualTo("transformer.h.2");
        assertThat(r.json().path("d_sae").asInt()).isEqualTo(1024);
        return r.json().path("id").asText();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    static String s(String path) {
        return path.replace("$SAE", "/api/saes/" + sae);
    }

    static String generate(String prompt) {
        Http.Resp r = http.post(M + "/generate", "{\"prompts\": [\"" + prompt + "\"], \"max_new_tokens\": 8}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        return r.json().path("results").get(0).path("completion").asText();
    }

    // ---- concept dictionary

    @Test
    @Order(1)
    void conceptDictionaryFromJsonCsvAndMapThenNamedAndSearched() throws Exception {
        assertThat(http.get(s("$SAE/concepts")).json().path("concepts")).isEmpty();
        Files.writeString(data.resolve("dict.json"), "{\"n_size\": 1024, \"concepts\": {\"5\": {\"name\": \"Numbers\", "
                + "\"score\": 0.9}, \"700\": {\"name\": \"past verbs\", \"score\": 0.4}}}");
        Http.Resp r = http.post(s("$SAE/concepts"), "{\"path\": \"dict.json\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        assertThat(r.json().path("sae").asText()).isEqualTo(sae);
        assertThat(r.json().path("n_size").asInt()).isEqualTo(1024);
        assertThat(r.json().path("concepts")).extracting(n -> n.path("latent").asInt()).containsExactly(5, 700);
        assertThat(r.json().path("concepts").get(0).path("score").asDouble()).isEqualTo(0.9);

        JsonNode q = http.get(s("$SAE/concepts?q=NUMB")).json();
        assertThat(q.path("concepts")).hasSize(1);
        assertThat(q.path("concepts").get(0).path("name").asText()).isEqualTo("Numbers");

        Files.writeString(data.resolve("dict.csv"), "neuron_idx,concept_name,score\n3,\"the, article\",0.7\n9,noun,0.2\n");
        r = http.post(s("$SAE/concepts"), "{\"path\": \"" + data.resolve("dict.csv") + "\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        assertThat(r.json().path("concepts")).extracting(n -> n.path("name").asText())
                .containsExactly("the, article", "noun"); // replaced, not merged

        r = http.post(s("$SAE/concepts"), "{\"concepts\": {\"12\": {\"name\": \"numbers\", \"score\": 0.8}}}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        assertThat(r.json().path("concepts")).hasSize(1);

        r = http.put(s("$SAE/concepts/40"), "{\"name\": \"weather\", \"score\": 0.5}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.json().path("latent").asInt()).isEqualTo(40);
        assertThat(r.json().path("name").asText()).isEqualTo("weather");
        assertThat(r.json().path("score").asDouble()).isEqualTo(0.5);
        assertThat(http.get(s("$SAE/concepts")).json().path("concepts")).extracting(n -> n.path("latent").asInt())
                .containsExactly(12, 40);
        assertThat(http.put(s("$SAE/concepts/40"), "{\"name\": \"\"}").status()).isEqualTo(200);
        assertThat(http.get(s("$SAE/concepts?q=weather")).json().path("concepts")).isEmpty();

        assertError(http.put(s("$SAE/concepts/1024"), "{\"name\": \"x\"}"), 400, "latent");
        assertError(http.put(s("$SAE/concepts/abc"), "{\"name\": \"x\"}"), 400, "latent");
        assertError(http.put(s("$SAE/concepts/3"), "{\"score\": 1}"), 400, "name");
        assertError(http.put("/api/saes/sae-999/concepts/3", "{\"name\": \"x\"}"), 404, "no SAE");
        assertError(http.get("/api/saes/sae-999/concepts"), 404, "no SAE");
        assertError(http.post(s("$SAE/concepts"), "{}"), 400, "path");
        assertError(http.post(s("$SAE/concepts"), "{\"path\": \"../../etc/passwd\"}"), 403, "file roots");
        assertError(http.post(s("$SAE/concepts"), "{\"path\": \"missing.json\"}"), 404, "no concept dictionary");
        Files.writeString(data.resolve("wrong.json"), "{\"n_size\": 64, \"concepts\": {\"1\": {\"name\": \"a\", "
                + "\"score\": 1}}}");
        assertError(http.post(s("$SAE/concepts"), "{\"path\": \"wrong.json\"}"), 400, "64");
        Files.writeString(data.resolve("wrong.csv"), "neuron_idx,concept_name,score\n5000,a,1\n");
        assertError(http.post(s("$SAE/concepts"), "{\"path\": \"wrong.csv\"}"), 400, "5000");
        assertError(http.post(s("$SAE/concepts"), "{\"concepts\": {\"x\": {\"name\": \"a\"}}}"), 400, "'concepts'");
        // the failed loads left the dictionary as it was
        assertThat(http.get(s("$SAE/concepts")).json().path("concepts")).extracting(n -> n.path("latent").asInt())
                .containsExactly(12);
    }

    // ---- top texts, latents

    @Test
    @Order(2)
    void latentsNeedTopTextsFirst() {
        assertError(http.get(s("$SAE/latents")), 409, "top-texts first");
        assertError(http.get(s("$SAE/latents/3")), 409, "top-texts first");
        assertError(http.post(s("$SAE/top-texts"), "{\"brown\": \"validation\", \"top_k\": 0}"), 400, "top_k");
        assertError(http.post(s("$SAE/top-texts"), "{\"brown\": \"validation\", \"window\": 33}"), 400, "window");
        assertError(http.post(s("$SAE/top-texts"), "{\"brown\": \"test\"}"), 400, "'brown'");
        assertError(http.post(s("$SAE/top-texts"), "{\"texts\": [\"a\"], \"brown\": \"train\"}"), 400, "either");
        assertError(http.post(s("$SAE/top-texts"), "{\"brown\": \"train\", \"limit\": 5001}"), 400, "limit");
        assertError(http.post("/api/saes/sae-999/top-texts", "{\"texts\": [\"a\"]}"), 404, "no SAE");
    }

    @Test
    @Order(3)
    void topTextsOnBrownThenLatentsAndOneLatentsDetail() {
        Http.Resp r = http.post(s("$SAE/top-texts"), "{\"brown\": \"validation\", \"limit\": 50, \"top_k\": 3, "
                + "\"window\": 4}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.json().path("texts").asInt()).isEqualTo(50);
        long tokens = r.json().path("tokens").asLong();
        assertThat(tokens).isGreaterThan(250);
        assertThat(r.json().path("latents_fired").asInt()).isBetween(17, 1024); // k = 16 per token
        assertThat(r.json().path("seconds").asDouble()).isPositive();

        JsonNode list = http.get(s("$SAE/latents?limit=5")).json();
        assertThat(list.path("total").asInt()).isGreaterThanOrEqualTo(r.json().path("latents_fired").asInt());
        assertThat(list.path("latents")).hasSize(5);
        List<Double> freqs = new ArrayList<>();
        list.path("latents").forEach(n -> freqs.add(n.path("frequency").asDouble()));
        assertThat(freqs).isSortedAccordingTo((a, b) -> Double.compare(b, a));
        JsonNode byMax = http.get(s("$SAE/latents?sort=max&limit=3&offset=1")).json();
        JsonNode maxFirst = http.get(s("$SAE/latents?sort=max&limit=2")).json();
        assertThat(byMax.path("latents").get(0).path("latent")).isEqualTo(maxFirst.path("latents").get(1).path("latent"));

        int latent = list.path("latents").get(0).path("latent").asInt();
        JsonNode d = http.get(s("$SAE/latents/" + latent)).json();
        assertThat(d.path("latent").asInt()).isEqualTo(latent);
        long firings = d.path("firings").asLong();
        assertThat(firings).isPositive();
        assertThat(d.path("frequency").asDouble() * tokens).isCloseTo(firings, within(1e-6));
        long histogramSum = 0;
        for (JsonNode c : d.path("histogram").path("counts")) {
            histogramSum += c.asLong();
        }
        assertThat(histogramSum).isEqualTo(firings);
        assertThat(d.path("histogram").path("edges")).hasSize(d.path("histogram").path("counts").size() + 1);
        assertThat(d.path("histogram").path("edges").get(0).asDouble()).isZero();
        assertThat(d.path("mean").asDouble()).isPositive().isLessThanOrEqualTo(d.path("max").asDouble());
        JsonNode top = d.path("top");
        assertThat(top).hasSizeBetween(1, 3);
        for (JsonNode t : top) {
            int center = t.path("center").asInt();
            assertThat(t.path("tokens").get(center).asText()).isEqualTo(t.path("token").asText());
            assertThat(t.path("activations").get(center).asDouble()).isEqualTo(t.path("activation").asDouble());
            assertThat(t.path("tokens").size()).isEqualTo(t.path("activations").size()).isLessThanOrEqualTo(9);
        }
        assertThat(top.get(0).path("activation").asDouble()).isEqualTo(d.path("max").asDouble());

        // the same activation from a plain SAE inference on that text
        JsonNode best = top.get(0);
        Http.Resp inf = http.post(s("$SAE/infer"), "{\"text\": " + Http.MAPPER.valueToTree(best.path("text").asText())
                + ", \"latents\": [" + latent + "]}");
        assertThat(inf.status()).as(inf.raw()).isEqualTo(200);
        JsonNode at = inf.json().path("tokens").get(best.path("position").asInt());
        assertThat(at.path("text").asText()).isEqualTo(best.path("token").asText());
        assertThat(at.path("values").path(Integer.toString(latent)).asDouble())
                .isCloseTo(best.path("activation").asDouble(), within(1e-3 * (1 + best.path("activation").asDouble())));

        // names and numbers filter the list
        assertThat(http.put(s("$SAE/concepts/" + latent), "{\"name\": \"Frequent One\"}").status()).isEqualTo(200);
        JsonNode named = http.get(s("$SAE/latents?q=frequent")).json();
        assertThat(named.path("total").asInt()).isEqualTo(1);
        assertThat(named.path("latents").get(0).path("name").asText()).isEqualTo("Frequent One");
        assertThat(http.get(s("$SAE/latents?q=" + latent)).json().path("latents")).extracting(n -> n.path("latent")
                .asInt()).contains(latent);
        assertThat(http.get(s("$SAE/latents/" + latent)).json().path("name").asText()).isEqualTo("Frequent One");

        assertError(http.get(s("$SAE/latents?sort=name")), 400, "sort");
        assertError(http.get(s("$SAE/latents?offset=-1")), 400, "offset");
        assertError(http.get(s("$SAE/latents?limit=x")), 400, "limit");
        assertError(http.get(s("$SAE/latents/1024")), 404, "no latent 1024");
        assertError(http.get(s("$SAE/latents/abc")), 400, "latent");
        assertError(http.get("/api/saes/sae-999/latents"), 404, "no SAE");
    }

    @Test
    @Order(4)
    void exportedTopTextsAreImportedWithOrWithoutStatistics() throws Exception {
        LatentContext strong = new LatentContext(41, "The jury said it was fine", 2, " said", 3.5f,
                List.of(" jury", " said", " it"), 1, List.of(0.25f, 3.5f, 0f));
        LatentContext weak = new LatentContext(7, "He said no", 1, " said", 1.25f, List.of("He", " said", " no"), 0,
                List.of(0f, 1.25f, 0.5f));
        TopTextSource source = new FixedTopTexts(1024, java.util.Map.of(9, List.of(strong, weak), 700, List.of(weak)));
        TopTextsExport.writeJson(source, data.resolve("top.json"));
        Http.Resp r = http.post(s("$SAE/top-texts"), "{\"path\": \"top.json\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.json().path("file").asText()).isEqualTo("data:top.json");
        assertThat(r.json().path("format").asText()).isEqualTo("json");
        assertThat(r.json().path("statistics").asBoolean()).isFalse();
        assertThat(r.json().path("tokens").isNull()).isTrue();
        assertThat(r.json().path("latents_fired").asInt()).isEqualTo(2);
        assertThat(http.get(s("$SAE")).json().path("top_texts").path("file").asText()).isEqualTo("data:top.json");

        JsonNode list = http.get(s("$SAE/latents")).json();
        assertThat(list.path("latents")).extracting(n -> n.path("latent").asInt()).startsWith(9, 700);
        JsonNode first = list.path("latents").get(0);
        assertThat(first.path("frequency").isNull()).isTrue();
        assertThat(first.path("max").asDouble()).isEqualTo(3.5);
        JsonNode d = http.get(s("$SAE/latents/9")).json();
        assertThat(d.path("histogram").isNull()).isTrue();
        assertThat(d.path("mean").isNull()).isTrue();
        assertThat(d.path("top")).hasSize(2);
        JsonNode c = d.path("top").get(0);
        assertThat(c.path("text_id").asLong()).isEqualTo(41);
        assertThat(c.path("text").asText()).isEqualTo(strong.text());
        assertThat(c.path("position").asInt()).isEqualTo(2);
        assertThat(c.path("center").asInt()).isEqualTo(1);
        assertThat(c.path("tokens")).extracting(JsonNode::asText).containsExactly(" jury", " said", " it");
        assertThat(c.path("activations")).extracting(JsonNode::asDouble).containsExactly(0.25, 3.5, 0.0);

        StringBuilder stats = new StringBuilder("{\"tokens\": 400, \"latents\": [");
        for (int l = 0; l < 1024; l++) {
            stats.append(l == 0 ? "" : ", ").append("{\"latent\": ").append(l).append(", \"firings\": ")
                    .append(l == 700 ? 40 : l == 9 ? 4 : 0).append(", \"frequency\": ").append(l == 700 ? 0.1
                    : l == 9 ? 0.01 : 0).append(", \"mean\": 1.0, \"max\": ").append(l == 9 ? 3.5 : l == 700 ? 1.25
                    : 0).append(", \"histogram_upper\": 4.0, \"histogram\": [").append(l == 9 ? "1, 3" : "0, 0")
                    .append("]}");
        }
        Files.writeString(data.resolve("stats.json"), stats.append("]}"));
        r = http.post(s("$SAE/top-texts"), "{\"path\": \"data:top.json\", \"statistics\": \"stats.json\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.json().path("tokens").asLong()).isEqualTo(400);
        assertThat(http.get(s("$SAE/latents")).json().path("latents")).extracting(n -> n.path("latent").asInt())
                .startsWith(700, 9); // by frequency now
        d = http.get(s("$SAE/latents/9")).json();
        assertThat(d.path("frequency").asDouble()).isEqualTo(0.01);
        assertThat(d.path("histogram").path("counts")).extracting(JsonNode::asLong).containsExactly(1L, 3L);
        assertThat(d.path("histogram").path("edges")).extracting(JsonNode::asDouble).containsExactly(0.0, 2.0, 4.0);

        Files.writeString(data.resolve("bad.json"), Files.readString(data.resolve("top.json"))
                .replaceFirst("\"window_start\" : 1", "\"window_start\" : \"one\""));
        Http.Resp bad = http.post(s("$SAE/top-texts"), "{\"path\": \"bad.json\"}");
        assertError(bad, 400, "data:bad.json, latent \"9\", context 0: 'window_start' must be an integer");
        assertThat(bad.raw()).doesNotContain(data.toString());
        Files.writeString(data.resolve("small.json"), "{\"0\": [], \"1\": []}");
        assertError(http.post(s("$SAE/top-texts"), "{\"path\": \"small.json\"}"), 400, "holds 2 latents; the SAE has "
                + "1024");
        assertError(http.post(s("$SAE/top-texts"), "{\"path\": \"../../etc/passwd\"}"), 403, "file roots");
        assertError(http.post(s("$SAE/top-texts"), "{\"path\": \"missing.json\"}"), 404, "no file at data:missing.json");
        assertError(http.post(s("$SAE/top-texts"), "{\"path\": \"top.json\", \"brown\": \"train\"}"), 400, "one of");
        assertError(http.post(s("$SAE/top-texts"), "{\"path\": \"top.json\", \"top_k\": 3}"), 400, "'top_k'");
        assertError(http.post(s("$SAE/top-texts"), "{\"brown\": \"train\", \"statistics\": \"stats.json\"}"), 400,
                "'statistics' goes with 'path'");
        // the refused imports kept the last good one
        assertThat(http.get(s("$SAE/latents/9")).json().path("frequency").asDouble()).isEqualTo(0.01);

        TopTextsExport.writeCsv(source, data.resolve("top.csv"));
        r = http.post(s("$SAE/top-texts"), "{\"path\": \"top.csv\", \"statistics\": \"stats.json\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.json().path("format").asText()).isEqualTo("csv");
        assertThat(r.json().path("windows").asBoolean()).isFalse();
        c = http.get(s("$SAE/latents/9")).json().path("top").get(0);
        assertThat(c.path("text_id").isNull()).isTrue();
        assertThat(c.path("text").asText()).isEqualTo(strong.text());
        assertThat(c.path("tokens")).extracting(JsonNode::asText).containsExactly(" said");
        assertThat(c.path("center").asInt()).isZero();
    }

    @Test
    @Order(5)
    void inferReportsTokenNormsAndChosenLatentValues() {
        Http.Resp r = http.post(M + "/infer", "{\"texts\": [\"The jury said\"], \"hooks\": [{\"type\": \"capture\", "
                + "\"layer\": \"transformer.h.2\"}]}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        JsonNode res = r.json().path("results").get(0);
        JsonNode norms = res.path("hooks").get(0).path("token_norms");
        assertThat(norms).hasSize(res.path("tokens").size());
        double squares = 0;
        for (JsonNode n : norms) {
            assertThat(n.asDouble()).isPositive();
            squares += n.asDouble() * n.asDouble();
        }
        assertThat(Math.sqrt(squares)).isCloseTo(res.path("hooks").get(0).path("norm").asDouble(), within(1e-2));

        Http.Resp s = http.post(s("$SAE/infer"), "{\"text\": \"The jury said\", \"latents\": [0, 1023]}");
        assertThat(s.status()).as(s.raw()).isEqualTo(200);
        for (JsonNode t : s.json().path("tokens")) {
            assertThat(t.path("values").size()).isEqualTo(2);
            assertThat(t.path("values").path("1023").isNumber()).isTrue();
        }
        // a token's top latent value shows in "values" too
        JsonNode first = s.json().path("tokens").get(0).path("top_latents").get(0);
        Http.Resp v = http.post(s("$SAE/infer"), "{\"text\": \"The jury said\", \"latents\": ["
                + first.path("latent").asInt() + "]}");
        assertThat(v.json().path("tokens").get(0).path("values").path(first.path("latent").asText()).asDouble())
                .isEqualTo(first.path("value").asDouble());
        assertError(http.post(s("$SAE/infer"), "{\"text\": \"a\", \"latents\": [1024]}"), 400, "latents");
        assertError(http.post(s("$SAE/infer"), "{\"text\": \"a\", \"latents\": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,"
                + "15,16]}"), 400, "at most 16");
        assertError(http.post(s("$SAE/infer"), "{\"text\": \"a\", \"latents\": 3}"), 400, "latents");
    }

    // ---- steering

    static final String CLAMP = "\"edits\": [{\"latent\": 5, \"op\": \"clamp\", \"value\": 40.0}, "
            + "{\"latent\": 9, \"op\": \"add\", \"value\": 20.0}]";

    @Test
    @Order(6)
    void steerChangesOnlyTheSteeredPassAndLeavesNoManipulation() {
        String before = generate("The jury said");
        Http.Resp r = http.post(M + "/steer", "{\"prompt\": \"The jury said\", \"sae\": \"" + sae + "\", " + CLAMP
                + ", \"max_new_tokens\": 8}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(r.json().path("model").asText()).isEqualTo("brown-gpt2");
        assertThat(r.json().path("sae").asText()).isEqualTo(sae);
        JsonNode res = r.json().path("results").get(0);
        assertThat(res.path("prompt").asText()).isEqualTo("The jury said");
        String baseline = res.path("baseline").path("completion").asText();
        String steered = res.path("steered").path("completion").asText();
        assertThat(baseline).isEqualTo(before);
        assertThat(steered).isNotEqualTo(baseline);
        assertThat(res.path("changed").asBoolean()).isTrue();
        assertThat(res.path("steered").path("tokens")).hasSize(8);
        assertThat(res.path("steered").path("tokens").get(0).path("id").isIntegralNumber()).isTrue();
        // nothing stays attached or set
        assertThat(generate("The jury said")).isEqualTo(before);

        // several prompts, and a scope limited to the generated positions
        Http.Resp p = http.post(M + "/steer", "{\"prompts\": [\"The jury said\", \"It was\"], \"sae\": \"" + sae
                + "\", " + CLAMP + ", \"scope\": \"generated\", \"max_new_tokens\": 4}");
        assertThat(p.status()).as(p.raw()).isEqualTo(200);
        assertThat(p.json().path("results")).hasSize(2);
        assertThat(p.json().path("scope").asText()).isEqualTo("generated");

        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", \"sae\": \"sae-999\", " + CLAMP + "}"), 404, "no SAE");
        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", " + CLAMP + "}"), 400, "'sae'");
        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", \"sae\": \"" + sae + "\"}"), 400, "'edits'");
        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", \"sae\": \"" + sae + "\", \"edits\": [{\"latent\": "
                + "1024, \"op\": \"clamp\", \"value\": 1}]}"), 400, "edits[].latent");
        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", \"sae\": \"" + sae + "\", \"edits\": [{\"latent\": "
                + "1, \"op\": \"mul\", \"value\": 1}]}"), 400, "edits[].op");
        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", \"sae\": \"" + sae + "\", \"edits\": [{\"latent\": "
                + "1, \"op\": \"add\"}]}"), 400, "edits[].value");
        assertError(http.post(M + "/steer", "{\"prompt\": \"a\", \"sae\": \"" + sae + "\", " + CLAMP + ", \"scope\": "
                + "\"middle\"}"), 400, "'scope'");
        assertError(http.post(M + "/steer", "{\"sae\": \"" + sae + "\", " + CLAMP + "}"), 400, "prompts");
        assertError(http.post("/api/models/nope/steer", "{\"prompt\": \"a\", \"sae\": \"" + sae + "\", " + CLAMP + "}"),
                404, "not allowed");
        assertThat(generate("The jury said")).isEqualTo(before);
    }

    // ---- manipulations

    @Test
    @Order(7)
    void manipulationsAreCreatedPreviewedAppliedAndDeleted() {
        Http.Resp c = http.post("/api/manipulations", "{\"name\": \"more-fives\", \"sae\": \"" + sae + "\", " + CLAMP
                + ", \"scope\": \"all\"}");
        assertThat(c.status()).as(c.raw()).isEqualTo(201);
        assertThat(c.json().path("name").asText()).isEqualTo("more-fives");
        assertThat(c.json().path("sae_path").asText()).endsWith("h2");
        assertThat(c.json().path("model").asText()).isEqualTo("brown-gpt2");
        assertThat(c.json().path("layer").asText()).isEqualTo("transformer.h.2");
        assertThat(c.json().path("edits")).hasSize(2);
        assertError(http.post("/api/manipulations", "{\"name\": \"more-fives\", \"sae\": \"" + sae + "\", " + CLAMP
                + "}"), 409, "exists");
        assertError(http.post("/api/manipulations", "{\"name\": \"../up\", \"sae\": \"" + sae + "\", " + CLAMP + "}"),
                400, "name");
        assertError(http.post("/api/manipulations", "{\"name\": \"x\", \"sae\": \"sae-999\", " + CLAMP + "}"), 404,
                "no SAE");
        assertError(http.post("/api/manipulations", "{\"name\": \"x\", \"sae\": \"" + sae + "\", \"edits\": []}"),
                400, "'edits'");

        assertThat(http.get("/api/manipulations").json().path("manipulations"))
                .extracting(n -> n.path("name").asText()).contains("more-fives");
        assertThat(http.get("/api/manipulations/more-fives").json().path("edits").get(0).path("latent").asInt())
                .isEqualTo(5);
        assertError(http.get("/api/manipulations/nothing"), 404, "no manipulation");

        String body = "{\"prompt\": \"The jury said\", \"max_new_tokens\": 8}";
        Http.Resp steer = http.post(M + "/steer", "{\"prompt\": \"The jury said\", \"sae\": \"" + sae + "\", " + CLAMP
                + ", \"max_new_tokens\": 8}");
        Http.Resp preview = http.post("/api/manipulations/more-fives/preview", body);
        assertThat(preview.status()).as(preview.raw()).isEqualTo(200);
        JsonNode pr = preview.json().path("results").get(0);
        assertThat(pr.path("baseline").path("completion").asText()).isEqualTo(generate("The jury said"));
        assertThat(pr.path("steered").path("completion").asText())
                .isEqualTo(steer.json().path("results").get(0).path("steered").path("completion").asText());
        Http.Resp apply = http.post("/api/manipulations/more-fives/apply", body);
        assertThat(apply.status()).as(apply.raw()).isEqualTo(200);
        JsonNode ar = apply.json().path("results").get(0);
        assertThat(ar.path("prompt").asText()).isEqualTo("The jury said");
        assertThat(ar.path("completion").asText()).isEqualTo(pr.path("steered").path("completion").asText());
        assertThat(ar.path("text").asText()).isEqualTo("The jury said" + ar.path("completion").asText());
        assertThat(ar.path("tokens")).hasSize(8);
        assertThat(ar.has("baseline")).isFalse();
        assertError(http.post("/api/manipulations/nothing/apply", body), 404, "no manipulation");
        assertError(http.post("/api/manipulations/more-fives/apply", "{}"), 400, "prompts");

        assertThat(http.delete("/api/manipulations/more-fives").status()).isEqualTo(200);
        assertError(http.get("/api/manipulations/more-fives"), 404, "no manipulation");
        assertError(http.delete("/api/manipulations/more-fives"), 404, "no manipulation");
    }

    @Test
    @Order(8)
    void manipulationsSurviveARestartAndNeedTheirSaeLoaded() {
        Http.Resp c = http.post("/api/manipulations", "{\"name\": \"kept\", \"sae\": \"" + sae + "\", " + CLAMP + "}");
        assertThat(c.status()).as(c.raw()).isEqualTo(201);
        String body = "{\"prompt\": \"The jury said\", \"max_new_tokens\": 6}";
        String steered = http.post("/api/manipulations/kept/apply", body).json().path("results").get(0)
                .path("completion").asText();
        server.stop();
        startServer();
        assertThat(http.get("/api/manipulations").json().path("manipulations"))
                .extracting(n -> n.path("name").asText()).containsExactly("kept");
        assertError(http.post("/api/manipulations/kept/preview", body), 409, "not loaded");
        sae = loadSae();
        Http.Resp again = http.post("/api/manipulations/kept/apply", body);
        assertThat(again.status()).as(again.raw()).isEqualTo(200);
        assertThat(again.json().path("results").get(0).path("completion").asText()).isEqualTo(steered);
        assertThat(http.get("/api/store").json().path("manipulations").asInt()).isEqualTo(1);
        // a deleted SAE no longer serves its manipulations
        assertThat(http.delete("/api/saes/" + sae).status()).isEqualTo(200);
        assertError(http.post("/api/manipulations/kept/apply", body), 409, "not loaded");
    }
}
