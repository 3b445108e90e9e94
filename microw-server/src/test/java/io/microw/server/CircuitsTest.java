package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.analysis.ActivationPatching;
import io.microw.analysis.LogitLens;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.PathPatching;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * POST /api/models/{id}/patching and /lens on brown-gpt2: the answers equal {@link ActivationPatching} and
 * {@link LogitLens} computed here with the core API on the server's model, and bad requests get 400 naming values.
 */
class CircuitsTest {

    static final String M = "/api/models/brown-gpt2";
    static final String CLEAN = "The jury said that the man";
    static final String CORRUPT = "The jury said that the woman";

    @TempDir
    static Path data;

    static MicrowServer server;
    static Http http;
    static LanguageModel lm;

    @BeforeAll
    static void start() {
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data)
                .allowedModels(List.of(BrownGpt2.NAME)).build()).start(0);
        http = new Http(server.port());
        assertThat(http.post(M + "/load", null).status()).isEqualTo(201);
        lm = server.models().get(BrownGpt2.NAME).lm;
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    static long token(String text) {
        long[] ids = lm.tokenizer().encode(text);
        assertThat(ids).as(text).hasSize(1);
        return ids[0];
    }

    static String body(String what) {
        return "{\"clean\": \"" + CLEAN + "\", \"corrupt\": \"" + CORRUPT + "\", \"answer\": \" was\", "
                + "\"wrong\": \" had\", \"what\": \"" + what + "\"}";
    }

    static void assertSameTable(JsonNode answer, PatchingResult expected) {
        assertThat(answer.path("rows").size()).isEqualTo(expected.rowLabels().size());
        for (int i = 0; i < expected.rowLabels().size(); i++) {
            assertThat(answer.path("rows").get(i).asText()).isEqualTo(expected.rowLabels().get(i));
        }
        assertThat(answer.path("columns").size()).isEqualTo(expected.columnLabels().size());
        for (int j = 0; j < expected.columnLabels().size(); j++) {
            assertThat(answer.path("columns").get(j).asText()).isEqualTo(expected.columnLabels().get(j));
        }
        float[][] values = expected.values();
        assertThat(answer.path("values").size()).isEqualTo(values.length);
        for (int i = 0; i < values.length; i++) {
            assertThat(answer.path("values").get(i).size()).isEqualTo(values[i].length);
            for (int j = 0; j < values[i].length; j++) {
                assertThat(answer.path("values").get(i).get(j).floatValue()).as("cell %d,%d", i, j)
                        .isCloseTo(values[i][j], within(1e-4f));
            }
        }
        assertThat(answer.path("clean_metric").floatValue()).isCloseTo(expected.cleanMetric(), within(1e-4f));
        assertThat(answer.path("corrupt_metric").floatValue()).isCloseTo(expected.corruptMetric(), within(1e-4f));
    }

    @Test
    void patchingByPositionAndByHeadEqualsTheCoreApi() {
        long[][] clean = {lm.tokenizer().encode(CLEAN)};
        long[][] corrupt = {lm.tokenizer().encode(CORRUPT)};
        LogitMetric metric = LogitMetric.logitDiff(token(" was"), token(" had"));

        Http.Resp pre = http.post(M + "/patching", body("resid-pre"));
        assertThat(pre.status()).as(pre.raw()).isEqualTo(200);
        assertThat(pre.json().path("what").asText()).isEqualTo("resid-pre");
        PatchingResult expected = ActivationPatching.defaults().residPre(lm, clean, corrupt, metric);
        assertSameTable(pre.json(), expected);
        assertThat(pre.json().path("values").get(0).size()).isEqualTo(clean[0].length);
        assertThat(expected.cleanMetric()).isNotEqualTo(expected.corruptMetric());
        JsonNode tokens = pre.json().path("tokens");
        assertThat(tokens.path("clean").size()).isEqualTo(clean[0].length);
        assertThat(tokens.path("corrupt").get(clean[0].length - 1).path("id").asLong())
                .isEqualTo(corrupt[0][clean[0].length - 1]);
        assertThat(tokens.path("answer").path("id").asLong()).isEqualTo(token(" was"));
        assertThat(tokens.path("wrong").path("text").asText()).isEqualTo(" had");

        Http.Resp heads = http.post(M + "/patching", body("heads"));
        assertThat(heads.status()).as(heads.raw()).isEqualTo(200);
        assertSameTable(heads.json(), ActivationPatching.defaults().attnHeads(lm, clean, corrupt, metric));
        assertThat(heads.json().path("columns").size()).isEqualTo(lm.config().numHeads());

        Http.Resp mlp = http.post(M + "/patching", body("mlp-out"));
        assertThat(mlp.status()).as(mlp.raw()).isEqualTo(200);
        assertSameTable(mlp.json(), ActivationPatching.defaults().mlpOut(lm, clean, corrupt, metric));
    }

    @Test
    void attnPatternAndHeadsAcrossPromptLengthsEqualTheCoreApi() {
        long[][] clean = {lm.tokenizer().encode(CLEAN)};
        long[][] corrupt = {lm.tokenizer().encode(CORRUPT)};
        LogitMetric metric = LogitMetric.logitDiff(token(" was"), token(" had"));
        Http.Resp pattern = http.post(M + "/patching", body("attn-pattern"));
        assertThat(pattern.status()).as(pattern.raw()).isEqualTo(200);
        assertThat(pattern.json().path("what").asText()).isEqualTo("attn-pattern");
        assertSameTable(pattern.json(), ActivationPatching.defaults().attnPattern(lm, clean, corrupt, metric));

        String older = "The jury said that the old woman";
        long[][] longer = {lm.tokenizer().encode(older)};
        assertThat(longer[0].length).isGreaterThan(clean[0].length);
        Http.Resp heads = http.post(M + "/patching", body("heads").replace(CORRUPT, older));
        assertThat(heads.status()).as(heads.raw()).isEqualTo(200);
        assertSameTable(heads.json(), ActivationPatching.defaults().attnHeads(lm, clean, longer, metric));
        assertThat(heads.json().path("tokens").path("corrupt").size()).isEqualTo(longer[0].length);
    }

    @Test
    void pathPatchingEqualsTheCoreApi() {
        long[][] clean = {lm.tokenizer().encode(CLEAN)};
        long[][] corrupt = {lm.tokenizer().encode(CORRUPT)};
        LogitMetric metric = LogitMetric.logitDiff(token(" was"), token(" had"));
        List<PathPatching.Head> receivers = List.of(new PathPatching.Head(2, 3), new PathPatching.Head(3, 0));
        Http.Resp path = http.post(M + "/patching", body("path").replace("}", ", \"receivers\": [{\"layer\": 2, "
                + "\"head\": 3}, {\"layer\": 3, \"head\": 0}], \"channel\": \"k\"}"));
        assertThat(path.status()).as(path.raw()).isEqualTo(200);
        assertSameTable(path.json(), PathPatching.senders(lm, clean, corrupt, metric, PathPatching.Channel.K,
                receivers));
        assertThat(path.json().path("what").asText()).isEqualTo("path");
        assertThat(path.json().path("channel").asText()).isEqualTo("k");
        assertThat(path.json().path("receivers").toString())
                .isEqualTo("[{\"layer\":2,\"head\":3},{\"layer\":3,\"head\":0}]");

        Http.Resp byQuery = http.post(M + "/patching", body("path").replace("}", ", \"receivers\": [{\"layer\": 3, "
                + "\"head\": 0}]}"));
        assertThat(byQuery.status()).as(byQuery.raw()).isEqualTo(200);
        assertThat(byQuery.json().path("channel").asText()).as("q by default").isEqualTo("q");
        assertSameTable(byQuery.json(), PathPatching.senders(lm, clean, corrupt, metric, PathPatching.Channel.Q,
                List.of(new PathPatching.Head(3, 0))));
    }

    @Test
    void badPathRequestsAre400() {
        String path = body("path").replace("}", ", \"receivers\": [{\"layer\": 3, \"head\": 0}]}");
        assertError(http.post(M + "/patching", body("path")), 400, "'receivers' must be an array of 1 to 1024 heads "
                + "{\"layer\": L, \"head\": H}, got none");
        assertError(http.post(M + "/patching", path.replace("[{\"layer\": 3, \"head\": 0}]", "[]")), 400,
                "'receivers' must be an array");
        assertError(http.post(M + "/patching", path.replace("{\"layer\": 3, \"head\": 0}", "\"3.0\"")), 400,
                "'receivers' must be an array of 1 to 1024 heads {\"layer\": L, \"head\": H}, got \"3.0\"");
        assertError(http.post(M + "/patching", path.replace("\"head\": 0", "\"head\": -1")), 400,
                "'head' must be an integer from 0");
        assertError(http.post(M + "/patching", path.replace("\"head\": 0", "\"head\": 8")), 400,
                "receiver blocks.3 head 8 is out of range: the model has 4 blocks (0..3) of 8 heads (0..7)");
        assertError(http.post(M + "/patching", path.replace("}]}", "}], \"channel\": \"o\"}")), 400,
                "unknown 'channel' \"o\": one of [q, k, v]");
        assertError(http.post(M + "/patching", body("heads").replace("}", ", \"channel\": \"q\"}")), 400,
                "receivers and a channel are for path patching, not for 'heads'");
    }

    @Test
    void lensEqualsTheCoreApi() {
        long[][] ids = {lm.tokenizer().encode(CLEAN)};
        LogitLens.Result expected = LogitLens.of(lm, ids, 3,
                LogitMetric.logitDiff(token(" was"), token(" had")));
        Http.Resp r = http.post(M + "/lens", "{\"prompt\": \"" + CLEAN + "\", \"k\": 3, \"answer\": \" was\", "
                + "\"wrong\": \" had\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        JsonNode layers = r.json().path("layers");
        assertThat(layers.size()).isEqualTo(lm.config().numLayers() + 1).isEqualTo(expected.labels().size());
        for (int i = 0; i < layers.size(); i++) {
            JsonNode layer = layers.get(i);
            assertThat(layer.path("layer").asText()).isEqualTo(expected.labels().get(i));
            assertThat(layer.path("metric").floatValue()).isCloseTo(expected.metric()[i], within(1e-4f));
            int[] top = expected.topTokens()[i][0];
            assertThat(layer.path("top").size()).isEqualTo(3);
            for (int j = 0; j < top.length; j++) {
                assertThat(layer.path("top").get(j).path("id").asLong()).isEqualTo(top[j]);
                assertThat(layer.path("top").get(j).path("text").asText())
                        .isEqualTo(lm.tokenizer().tokenText(top[j]));
            }
        }

        Http.Resp plain = http.post(M + "/lens", "{\"prompt\": \"" + CLEAN + "\"}");
        assertThat(plain.status()).as(plain.raw()).isEqualTo(200);
        assertThat(plain.json().path("layers").get(0).path("top").size()).isEqualTo(5);
        assertThat(plain.json().path("layers").get(0).path("metric").isNull()).isTrue();
        assertThat(plain.json().has("answer")).isFalse();
    }

    @Test
    void badRequestsAre400NamingTheValues() {
        String longer = "The jury said that the old woman";
        assertError(http.post(M + "/patching", "{\"clean\": \"" + CLEAN + "\", \"corrupt\": \"" + longer
                + "\", \"answer\": \" was\", \"wrong\": \" had\"}"), 400, "'clean' has "
                + lm.tokenizer().encode(CLEAN).length + " tokens but 'corrupt' has "
                + lm.tokenizer().encode(longer).length + ": \"resid-pre\" needs prompts of equal length");
        assertError(http.post(M + "/patching", body("resid-pre").replace("\" had\"", "\" had been\"")), 400,
                "'wrong' must be exactly one token, but \" had been\" is 2 tokens");
        assertError(http.post(M + "/patching", body("resid-pre").replace("\" was\"", "\"\"")), 400,
                "'answer' must be exactly one token, but \"\" is 0 tokens");
        assertError(http.post(M + "/patching", body("neurons")), 400, "unknown 'what' \"neurons\": one of [resid-pre");
        assertError(http.post(M + "/patching", body("resid-pre").replace("\"clean\"", "\"klean\"")), 400,
                "missing 'clean'");
        String longText = "word ".repeat(300).strip();
        assertError(http.post(M + "/patching", "{\"clean\": \"" + longText + "\", \"corrupt\": \"" + longText
                + "\", \"answer\": \" was\", \"wrong\": \" had\"}"), 400, "more than the context of model "
                + "'brown-gpt2' (256 tokens)");
        assertError(http.post(M + "/lens", "{\"prompt\": \"" + longText + "\"}"), 400, "'prompt' has ");
        assertError(http.post(M + "/lens", "{\"prompt\": \"" + CLEAN + "\", \"answer\": \" was\"}"), 400,
                "give both 'answer' and 'wrong'");
        assertError(http.post(M + "/lens", "{\"prompt\": \"" + CLEAN + "\", \"k\": 0}"), 400, "'k'");
        assertError(http.post(M + "/lens", "{\"prompt\": \"\"}"), 400, "'prompt' must have 1 to");
    }
}
