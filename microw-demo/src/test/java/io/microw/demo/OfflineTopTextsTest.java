package io.microw.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.concepts.LatentContext;
import io.microw.concepts.OfflineTopTexts;
import io.microw.concepts.SaeHook;
import io.microw.concepts.TopTextTracker;
import io.microw.concepts.TopTextsExport;
import io.microw.data.Datasets;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
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
            TopTextsExport.writeNeuronpedia(live, List.of(someLatent), "brown-gpt2", "transformer.h.1", np);
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
            JsonNode feature = new ObjectMapper().readTree(np.toFile()).get(0);
            assertThat(feature.get("index").asInt()).isEqualTo(someLatent);
            JsonNode act = feature.get("activations").get(0);
            assertThat(act.get("tokens").size()).isEqualTo(act.get("values").size());
            assertThat(act.get("values").get(act.get("maxValueTokenIndex").asInt()).floatValue())
                    .isEqualTo(act.get("maxValue").floatValue());
        }
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
