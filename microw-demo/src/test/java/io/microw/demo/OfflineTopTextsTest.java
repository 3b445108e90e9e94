package io.microw.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.concepts.LatentContext;
import io.microw.concepts.NeuronpediaExport;
import io.microw.concepts.NeuronpediaSource;
import io.microw.concepts.OfflineTopTexts;
import io.microw.concepts.SaeHook;
import io.microw.concepts.TopTextTracker;
import io.microw.concepts.TopTextsExport;
import io.microw.data.Datasets;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.nn.Linear;
import io.microw.sae.TopKSae;
import io.microw.store.LocalStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Top texts from live tracking, from a saved run (no forward) and from a streamed dataset agree; exports. */
class OfflineTopTextsTest {

    @Test
    void liveSavedRunAndStreamedDatasetGiveTheSameTopTexts(@TempDir Path dir) throws Exception {
        List<String> texts = BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).subList(0, 12).stream()
                .map(BrownCorpus.Sentence::text).toList();
        try (LanguageModel lm = BrownGpt2.load(); TopKSae sae = new TopKSae(128, lm.config().hiddenSize(), 8, 21)) {
            String run = lm.activations().saveActivations(texts, List.of("layer_1"),
                    SaveOptions.into(dir.resolve("store")).withBatchSize(4));

            SaeHook hook = SaeHook.attach(lm, sae, "layer_1");
            hook.concepts().enableTextTracking(5, 0, 3);
            for (int i = 0; i < texts.size(); i += 4) {
                lm.inference().executeInference(texts.subList(i, i + 4)).close();
            }
            TopTextTracker live = hook.concepts().tracker();
            hook.detach();

            TopTextTracker stored = new TopTextTracker(128, 5, 0, 3, lm.tokenizer()::tokenText);
            int batches = OfflineTopTexts.fromStore(new LocalStore(dir.resolve("store")), run, "transformer.h.1", sae,
                    stored);
            assertThat(batches).isEqualTo(3);

            TopTextTracker streamed = new TopTextTracker(128, 5, 0, 3, lm.tokenizer()::tokenText);
            long seen = OfflineTopTexts.fromDataset(lm, sae, "layer_1", Datasets.fromTexts("brown", texts), 4, streamed);
            assertThat(seen).isEqualTo(12);
            assertThat(lm.layers().allHooks()).isEmpty();

            int compared = 0;
            for (int latent = 0; latent < 128; latent++) {
                compared += assertSame(live.topTexts(latent), stored.topTexts(latent));
                assertSame(live.topTexts(latent), streamed.topTexts(latent));
            }
            assertThat(compared).isPositive();
            assertThat(stored.statistics().tokens()).isEqualTo(live.statistics().tokens());

            Path json = dir.resolve("top.json");
            Path csv = dir.resolve("top.csv");
            Path np = dir.resolve("np.json");
            TopTextsExport.writeJson(live, json);
            TopTextsExport.writeCsv(live, csv);
            int someLatent = firstWithTexts(live);
            new NeuronpediaExport(sae, lm, null).write(live, List.of(someLatent),
                    NeuronpediaSource.of(sae, "brown-gpt2", "transformer.h.1", "brown", live.textsSeen(), 7), np);
            JsonNode root = new ObjectMapper().readTree(json.toFile());
            assertThat(root.size()).isEqualTo(128);
            JsonNode first = root.get(Integer.toString(someLatent)).get(0);
            assertThat(first.get("text").asText()).isEqualTo(live.topTexts(someLatent).get(0).text());
            assertThat(first.get("token_idx").asInt()).isEqualTo(live.topTexts(someLatent).get(0).position());
            List<String> lines = Files.readAllLines(csv);
            assertThat(lines.get(0)).isEqualTo("neuron_idx,text,score,token_str,token_idx");
            long rows = 0;
            for (int latent = 0; latent < 128; latent++) {
                rows += live.topTexts(latent).size();
            }
            assertThat(lines).hasSize((int) rows + 1);
            JsonNode batch = new ObjectMapper().readTree(np.toFile());
            assertThat(batch.get("layer").asInt()).isEqualTo(1);
            JsonNode feature = batch.get("features").get(0);
            assertThat(feature.get("feature_index").asInt()).isEqualTo(someLatent);
            LatentContext best = live.topTexts(someLatent).get(0);
            JsonNode act = feature.get("activations").get(0);
            assertThat(act.get("tokens").size()).isEqualTo(best.window().size());
            assertThat(act.get("tokens").get(act.get("qualifying_token_index").asInt()).asText()).isEqualTo(best.token());
            assertThat(act.get("values").get(act.get("qualifying_token_index").asInt()).doubleValue())
                    .isCloseTo(best.activation(), within(1e-5));
            assertLogitTable(feature, lm, sae.parameter("W_dec"), someLatent, lm.config().hiddenSize());
        }
    }

    /** The promoted and suppressed tokens against W_U · W_dec[latent] computed here with plain loops. */
    private static void assertLogitTable(JsonNode feature, LanguageModel lm, float[] wDec, int latent, int d) {
        float[] wU = ((Linear) lm.layers().module("lm_head")).weight().toFloatArray();
        int vocab = wU.length / d;
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        int argMax = -1;
        int argMin = -1;
        for (int t = 0; t < vocab; t++) {
            double dot = 0;
            for (int i = 0; i < d; i++) {
                dot += (double) wU[t * d + i] * wDec[latent * d + i];
            }
            if (dot > max) {
                max = dot;
                argMax = t;
            }
            if (dot < min) {
                min = dot;
                argMin = t;
            }
        }
        assertThat(feature.get("pos_values")).hasSize(10);
        assertThat(feature.get("pos_values").get(0).doubleValue()).isCloseTo(max, within(2e-5));
        assertThat(feature.get("neg_values").get(0).doubleValue()).isCloseTo(min, within(2e-5));
        assertThat(feature.get("pos_str").get(0).asText()).isEqualTo(lm.tokenizer().tokenText(argMax));
        assertThat(feature.get("neg_str").get(0).asText()).isEqualTo(lm.tokenizer().tokenText(argMin));
        long counted = 0;
        for (JsonNode h : feature.get("logits_hist_data_bar_heights")) {
            counted += h.asLong();
        }
        assertThat(counted).as("every vocabulary token in the logit histogram").isEqualTo(vocab);
    }

    private static int firstWithTexts(TopTextTracker t) {
        for (int l = 0; l < t.latents(); l++) {
            if (!t.topTexts(l).isEmpty()) {
                return l;
            }
        }
        throw new AssertionError("no latent fired");
    }

    private static int assertSame(List<LatentContext> a, List<LatentContext> b) {
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) {
            LatentContext x = a.get(i);
            LatentContext y = b.get(i);
            assertThat(y.textId()).isEqualTo(x.textId());
            assertThat(y.position()).isEqualTo(x.position());
            assertThat(y.token()).isEqualTo(x.token());
            assertThat(y.text()).isEqualTo(x.text());
            assertThat(y.window()).isEqualTo(x.window());
            assertThat(y.activation()).isCloseTo(x.activation(), within(1e-5f));
        }
        return a.size();
    }
}
