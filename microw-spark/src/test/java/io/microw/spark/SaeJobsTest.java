package io.microw.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.concepts.LatentContext;
import io.microw.concepts.LatentStatistics;
import io.microw.concepts.NeuronpediaExport;
import io.microw.concepts.NeuronpediaSource;
import io.microw.concepts.OfflineTopTexts;
import io.microw.concepts.TopTextTracker;
import io.microw.concepts.TopTextsExport;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.store.LocalStore;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** SAE jobs over an extraction of Brown sentences, against the single-machine tracker fed the same texts. */
class SaeJobsTest {

    private static final String LAYER = "transformer.h.1";

    @TempDir
    static Path dir;

    private static Sae sae;
    private static SaeRef saeRef;
    private static TopTextTracker single;
    private static Dataset<Row> extracted;
    private static Dataset<Row> extractedBinary;

    @BeforeAll
    static void extractAndTrackSingleMachine() {
        List<String> sentences = TestSpark.brownSentences();
        sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 96, 6), 7);
        sae.save(dir.resolve("sae"));
        sae = Sae.load(dir.resolve("sae"));
        saeRef = SaeRef.of(dir.resolve("sae").toString());
        try (LanguageModel lm = BrownGpt2.load()) {
            lm.activations().saveActivations(sentences, List.of(LAYER),
                    SaveOptions.into(dir.resolve("store")).withRunName("ref"));
            single = new TopTextTracker(96, 5, 3, 4, id -> lm.tokenizer().tokenText(id));
            OfflineTopTexts.fromStore(new LocalStore(dir.resolve("store")), "ref", LAYER, sae, single);
        }
        String out = dir.resolve("extracted").toString();
        MicrowSpark.extractActivations(TestSpark.texts(sentences).repartition(3), "text", ModelRef.demo(),
                List.of(LAYER), ExtractOptions.into(out).withIdColumn("id"));
        extracted = TestSpark.session().read().parquet(out);
        String binary = dir.resolve("extracted-binary").toString();
        MicrowSpark.extractActivations(TestSpark.texts(sentences).repartition(2), "text", ModelRef.demo(),
                List.of(LAYER), ExtractOptions.into(binary).withIdColumn("id").withLayout(ActivationLayout.BINARY));
        extractedBinary = TestSpark.session().read().parquet(binary);
    }

    @Test
    void equalSingleMachineStatistics() {
        assertEqualSingleMachine(MicrowSpark.featureStatistics(extracted.repartition(4), LAYER, saeRef));
    }

    @Test
    void statisticsFromTextsEqualSingleMachineStatistics() {
        List<String> withNull = new java.util.ArrayList<>(TestSpark.brownSentences());
        withNull.add(7, null);
        assertEqualSingleMachine(MicrowSpark.featureStatistics(TestSpark.texts(withNull).repartition(2), "text",
                ModelRef.demo(), LAYER, saeRef));
    }

    private static void assertEqualSingleMachine(FeatureStatistics stats) {
        LatentStatistics want = single.statistics();
        assertThat(stats.tokens()).isEqualTo(want.tokens()).isPositive();
        long fired = 0;
        for (int l = 0; l < 96; l++) {
            assertThat(stats.firings(l)).as("firings of %d", l).isEqualTo(want.firings(l));
            assertThat(stats.frequency(l)).isEqualTo(want.frequency(l));
            assertThat(stats.maxActivation(l)).as("max of %d", l).isCloseTo(want.maxActivation(l), within(1e-5f));
            assertThat(stats.meanActivation(l)).as("mean of %d", l).isCloseTo(want.meanActivation(l), within(1e-5));
            assertThat(stats.histogramUpper(l)).isEqualTo(want.histogramUpper(l));
            assertThat(stats.histogram(l)).as("histogram of %d", l).isEqualTo(want.histogram(l));
            long logTotal = java.util.Arrays.stream(stats.logHistogram(l)).sum();
            assertThat(logTotal).isEqualTo(want.firings(l));
            fired += want.firings(l);
        }
        assertThat(fired).as("the SAE fires: the comparison is not vacuous").isGreaterThan(stats.tokens());
    }

    @Test
    void topTextsEqualSingleMachineOfflineTopTexts() {
        assertEqualSingleMachine(MicrowSpark.topTexts(extracted.repartition(3), LAYER, saeRef, ModelRef.demo(), 5, 3,
                4));
    }

    @Test
    void overTheBinaryLayoutStatisticsAndTopTextsEqualSingleMachine() {
        assertThat(extractedBinary.schema().apply("transformer_h_1").dataType().simpleString()).isEqualTo("binary");
        assertEqualSingleMachine(MicrowSpark.featureStatistics(extractedBinary.repartition(4), LAYER, saeRef));
        assertEqualSingleMachine(MicrowSpark.topTexts(extractedBinary.repartition(3), LAYER, saeRef, ModelRef.demo(),
                5, 3, 4));
    }

    private static void assertEqualSingleMachine(TopTexts texts) {
        int compared = 0;
        for (int l = 0; l < 96; l++) {
            assertSame(texts.topTexts(l), single.topTexts(l), "top of " + l);
            assertSame(texts.bottomTexts(l), single.bottomTexts(l), "bottom of " + l);
            compared += single.topTexts(l).size();
        }
        assertThat(compared).as("contexts compared").isGreaterThan(96);
    }

    @Test
    void exportsInTheSingleMachineFormats() throws Exception {
        TopTexts texts = MicrowSpark.topTexts(extracted, LAYER, saeRef, ModelRef.demo(), 5, 3, 4);
        FeatureStatistics stats = MicrowSpark.featureStatistics(extracted, LAYER, saeRef);
        List<Integer> latents = List.of(0, 5, 17);
        TopTextsExport.writeJson(texts, dir.resolve("spark.json"));
        TopTextsExport.writeJson(single, dir.resolve("single.json"));
        NeuronpediaExport neuronpedia = new NeuronpediaExport(sae, null, null);
        NeuronpediaSource where = NeuronpediaSource.of(sae, "brown-gpt2", LAYER, "brown", single.textsSeen(), 9);
        neuronpedia.write(texts, stats, latents, where, dir.resolve("spark-np.json"));
        neuronpedia.write(single, latents, where, dir.resolve("single-np.json"));
        ObjectMapper json = new ObjectMapper();
        assertJsonClose(json.readTree(dir.resolve("spark.json").toFile()),
                json.readTree(dir.resolve("single.json").toFile()), "$");
        assertJsonClose(json.readTree(dir.resolve("spark-np.json").toFile()),
                json.readTree(dir.resolve("single-np.json").toFile()), "$");

        TopTextsExport.writeCsv(texts, dir.resolve("spark.csv"));
        TopTextsExport.writeCsv(single, dir.resolve("single.csv"));
        List<String> got = Files.readAllLines(dir.resolve("spark.csv"));
        List<String> want = Files.readAllLines(dir.resolve("single.csv"));
        assertThat(got).hasSameSizeAs(want).hasSizeGreaterThan(96);
        for (int i = 0; i < want.size(); i++) {
            List<String> g = csvFields(got.get(i));
            List<String> w = csvFields(want.get(i));
            assertThat(g).as("line %d", i).hasSize(5).hasSameSizeAs(w);
            for (int j = 0; j < w.size(); j++) {
                if (i > 0 && j == 2) {
                    assertThat(Float.parseFloat(g.get(j))).isCloseTo(Float.parseFloat(w.get(j)), within(1e-5f));
                } else {
                    assertThat(g.get(j)).as("line %d field %d", i, j).isEqualTo(w.get(j));
                }
            }
        }
    }

    /** The fields of one CSV line (quoted fields with doubled quotes). */
    private static List<String> csvFields(String line) {
        List<String> fields = new java.util.ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                field.append('"');
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    /** Equal JSON trees, numbers within 1e-5. */
    private static void assertJsonClose(JsonNode got, JsonNode want, String path) {
        if (want.isNumber()) {
            assertThat(got.isNumber()).as(path).isTrue();
            assertThat(got.asDouble()).as(path).isCloseTo(want.asDouble(), within(1e-5));
            return;
        }
        if (!want.isContainerNode()) {
            assertThat(got).as(path).isEqualTo(want);
            return;
        }
        assertThat(got.size()).as(path).isEqualTo(want.size());
        if (want.isArray()) {
            for (int i = 0; i < want.size(); i++) {
                assertJsonClose(got.get(i), want.get(i), path + "[" + i + "]");
            }
        } else {
            want.fieldNames().forEachRemaining(f -> assertJsonClose(got.path(f), want.get(f), path + "." + f));
        }
    }

    private static void assertSame(List<LatentContext> got, List<LatentContext> want, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int i = 0; i < want.size(); i++) {
            LatentContext g = got.get(i);
            LatentContext w = want.get(i);
            assertThat(g.textId()).as("%s #%d text id", what, i).isEqualTo(w.textId());
            assertThat(g.position()).as("%s #%d position", what, i).isEqualTo(w.position());
            assertThat(g.text()).isEqualTo(w.text());
            assertThat(g.token()).isEqualTo(w.token());
            assertThat(g.window()).isEqualTo(w.window());
            assertThat(g.windowStart()).isEqualTo(w.windowStart());
            assertThat(g.activation()).as("%s #%d activation", what, i).isCloseTo(w.activation(), within(1e-5f));
            assertThat(g.windowActivations()).hasSameSizeAs(w.windowActivations());
            for (int j = 0; j < w.windowActivations().size(); j++) {
                assertThat(g.windowActivations().get(j)).isCloseTo(w.windowActivations().get(j), within(1e-5f));
            }
        }
    }

    @Test
    void refusesALayerTheDatasetLacks() {
        assertThatThrownBy(() -> MicrowSpark.featureStatistics(extracted, "transformer.h.3", saeRef))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("transformer.h.3")
                .hasMessageContaining("transformer_h_1");
    }
}
