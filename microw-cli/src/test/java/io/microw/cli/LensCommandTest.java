package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.analysis.LogitLens;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.NextToken;
import io.microw.lm.RunResult;
import io.microw.lm.Interventions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static io.microw.cli.PatchCommandTest.ANSWER;
import static io.microw.cli.PatchCommandTest.CLEAN;
import static io.microw.cli.PatchCommandTest.WRONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LensCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static LanguageModel lm;
    private static long[][] ids;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        ids = new long[][] {lm.tokenizer().encode(CLEAN)};
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void jsonEqualsTheCoreLensAndTheModelsOwnPrediction() throws Exception {
        LogitMetric metric = LogitMetric.logitDiff(lm.tokenizer().encode(ANSWER)[0], lm.tokenizer().encode(WRONG)[0]);
        LogitLens.Result expected = LogitLens.of(lm, ids, 3, metric);
        CliRun run = CliRun.of("lens", "--prompt", CLEAN, "--answer", ANSWER, "--wrong", WRONG, "--k", "3", "--out",
                dir.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode doc = JSON.readTree(run.out());
        JsonNode layers = doc.path("layers");
        assertThat(layers.size()).isEqualTo(expected.labels().size());
        for (int i = 0; i < layers.size(); i++) {
            JsonNode layer = layers.get(i);
            assertThat(layer.path("layer").asText()).isEqualTo(expected.labels().get(i));
            assertThat(layer.path("metric").asDouble()).isCloseTo(expected.metric()[i], within(1e-5));
            JsonNode top = layer.path("top");
            assertThat(top.size()).isEqualTo(3);
            for (int j = 0; j < 3; j++) {
                assertThat(top.get(j).path("id").asInt()).isEqualTo(expected.topTokens()[i][0][j]);
            }
        }
        // the last layer is the model's own prediction: same tokens and probabilities as a plain forward
        try (RunResult plain = lm.inference().run(ids, null, Interventions.none())) {
            float[] logits = plain.logits().get(0).get(ids[0].length - 1).toFloatArray();
            List<NextToken> next = NextToken.top(logits, 3);
            JsonNode last = layers.get(layers.size() - 1).path("top");
            for (int j = 0; j < 3; j++) {
                assertThat(last.get(j).path("id").asLong()).isEqualTo(next.get(j).id());
                assertThat(last.get(j).path("probability").asDouble()).isCloseTo(next.get(j).probability(),
                        within(1e-4));
            }
            assertThat(doc.path("final_top").path("id").asLong()).isEqualTo(next.get(0).id());
        }
        assertThat(doc.path("files").path("json").asText()).isEqualTo(dir.resolve("lens.json").toString());
        assertThat(JSON.readTree(dir.resolve("lens.json").toFile()).path("layers")).isEqualTo(layers);
        PatchCommandTest.assertValidPng(dir.resolve("lens.png"));
    }

    @Test
    void textShowsEachLayersTopToken() {
        LogitLens.Result expected = LogitLens.of(lm, ids, 1, (logits, mask) -> 0f);
        CliRun run = CliRun.of("lens", "--prompt", CLEAN, "--k", "1", "--out", dir.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        for (int i = 0; i < expected.labels().size(); i++) {
            String token = lm.tokenizer().decode(new long[] {expected.topTokens()[i][0][0]}, false);
            assertThat(run.out()).containsPattern(String.format(Locale.ROOT, "(?m)^%s\\s+%s \\d+\\.\\d%%$",
                    java.util.regex.Pattern.quote(expected.labels().get(i)),
                    java.util.regex.Pattern.quote(CliText.quoted(token))));
        }
        assertThat(run.out()).contains("wrote " + dir.resolve("lens.png"));
        PatchCommandTest.assertValidPng(dir.resolve("lens.png"));
    }

    @Test
    void badInputIsOneLineUsageError() {
        PatchCommandTest.assertUsage(CliRun.of("lens", "--prompt", CLEAN, "--answer", " was not", "--wrong", WRONG,
                "--out", dir.toString()), "--answer \" was not\" must be exactly one token, but it is");
        PatchCommandTest.assertUsage(CliRun.of("lens", "--prompt", CLEAN, "--answer", ANSWER, "--out",
                dir.toString()), "--answer and --wrong go together; got only --answer");
        PatchCommandTest.assertUsage(CliRun.of("lens", "--prompt", CLEAN, "--k", "0", "--out", dir.toString()),
                "--k must be from 1 to " + lm.config().vocabSize() + " (the vocabulary size), got 0");
    }
}
