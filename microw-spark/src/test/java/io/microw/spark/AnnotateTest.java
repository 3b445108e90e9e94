package io.microw.spark;

import ai.djl.ndarray.NDArray;
import io.microw.concepts.ConceptDictionary;
import io.microw.demo.BrownGpt2;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.RunResult;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.steering.SteeringVector;
import io.microw.steering.TokenMode;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.assertj.core.api.InstanceOfAssertFactories;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class AnnotateTest {

    private static final String LAYER = "transformer.h.1";
    private static final int LATENTS = 64;

    @TempDir
    static Path dir;

    private static ConceptAnnotator annotator;
    private static List<String> texts;

    @BeforeAll
    static void saeAndDictionary() {
        Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, LATENTS, 8), 11);
        sae.save(dir.resolve("sae"));
        ConceptDictionary concepts = ConceptDictionary.forLatents(LATENTS);
        for (int l = 0; l < LATENTS; l += 2) {
            concepts.set(l, "concept-" + l, "even latent " + l, 1.0);
        }
        concepts.saveJson(dir.resolve("concepts.json"));
        annotator = new ConceptAnnotator(ModelRef.demo(), LAYER, SaeRef.of(dir.resolve("sae").toString()),
                dir.resolve("concepts.json").toString(), 3);
        texts = TestSpark.brownSentences().subList(0, 6);
    }

    @Test
    void sqlFunctionGivesEachTextsStrongestNamedConcepts() {
        MicrowSpark.registerConceptFunction(TestSpark.session(), "microw_concepts", annotator);
        TestSpark.texts(texts).createOrReplaceTempView("docs");
        List<Row> rows = TestSpark.session().sql("SELECT id, microw_concepts(text) AS c FROM docs ORDER BY id")
                .collectAsList();
        assertThat(rows).hasSize(texts.size());
        try (LanguageModel lm = BrownGpt2.load()) {
            Sae sae = Sae.load(dir.resolve("sae"));
            for (int i = 0; i < texts.size(); i++) {
                List<Row> got = rows.get(i).getList(1);
                List<float[]> want = expected(lm, sae, texts.get(i));
                assertThat(got).as("text %d", i).hasSize(want.size());
                for (int j = 0; j < want.size(); j++) {
                    int latent = (int) want.get(j)[0];
                    assertThat(got.get(j).getString(0)).isEqualTo("concept-" + latent);
                    assertThat(got.get(j).getInt(1)).isEqualTo(latent);
                    assertThat(got.get(j).getFloat(2)).isCloseTo(want.get(j)[1], within(1e-5f));
                }
            }
        }
    }

    @Test
    void batchedAnnotateAddsAColumnEqualToTheSingleMachineOneAndKeepsNullTexts() {
        List<String> withNull = new ArrayList<>(texts);
        withNull.add(2, null);
        Dataset<Row> out = MicrowSpark.annotate(TestSpark.texts(withNull), "text", annotator, "concepts", 4)
                .orderBy("id");
        List<Row> rows = out.collectAsList();
        assertThat(out.columns()).containsExactly("id", "text", "concepts");
        assertThat(rows).hasSize(withNull.size());
        assertThat(rows.get(2).isNullAt(2)).isTrue();
        try (LanguageModel lm = BrownGpt2.load()) {
            Sae sae = Sae.load(dir.resolve("sae"));
            for (int i = 0; i < withNull.size(); i++) {
                if (i == 2) {
                    continue;
                }
                assertThat(rows.get(i).getString(1)).isEqualTo(withNull.get(i));
                List<Row> got = rows.get(i).getList(2);
                List<float[]> want = expected(lm, sae, withNull.get(i));
                assertThat(got).as("text %d", i).hasSize(want.size());
                for (int j = 0; j < want.size(); j++) {
                    assertThat(got.get(j).getInt(1)).isEqualTo((int) want.get(j)[0]);
                    assertThat(got.get(j).getFloat(2)).isCloseTo(want.get(j)[1], within(1e-4f));
                }
            }
        }
    }

    @Test
    void projectionScoresEqualTheSingleMachineMeanProjectionBatchedAndAsSqlFunction() {
        float[] v = new float[256];
        java.util.Random random = new java.util.Random(5);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        Path file = dir.resolve("direction.safetensors");
        new SteeringVector(v, "brown-gpt2", LAYER, 1, 1, 1, 1, TokenMode.ALL_TOKENS).save(file);
        ProjectionScorer scorer = new ProjectionScorer(ModelRef.demo(), DirectionRef.of(file.toString()));
        List<String> withNull = new ArrayList<>(texts);
        withNull.add(null);
        List<Row> batched = MicrowSpark.annotate(TestSpark.texts(withNull), "text", scorer, "projection", 3)
                .orderBy("id").collectAsList();
        MicrowSpark.registerProjectionFunction(TestSpark.session(), "microw_projection", scorer);
        TestSpark.texts(withNull).createOrReplaceTempView("scored");
        List<Row> sql = TestSpark.session().sql("SELECT id, microw_projection(text) FROM scored ORDER BY id")
                .collectAsList();
        assertThat(batched.get(texts.size()).isNullAt(2)).isTrue();
        assertThat(sql.get(texts.size()).isNullAt(1)).isTrue();
        try (LanguageModel lm = BrownGpt2.load()) {
            for (int i = 0; i < texts.size(); i++) {
                float want = meanProjection(lm, texts.get(i), v);
                assertThat(batched.get(i).getFloat(2)).as("text %d", i).isCloseTo(want, within(1e-3f));
                assertThat(sql.get(i).getFloat(1)).as("text %d", i).isCloseTo(want, within(1e-3f));
            }
        }
    }

    /** The mean over the text's tokens of h . v / |v|, from the model's activation cache. */
    private static float meanProjection(LanguageModel lm, String text, float[] v) {
        try (RunResult run = lm.inference().run(List.of(text), Interventions.capture(LAYER))) {
            NDArray acts = run.cache().get(LAYER).get(0);
            NDArray unit = acts.getManager().create(v);
            unit = unit.div(unit.norm());
            return acts.matMul(unit.reshape(v.length, 1)).mean().getFloat();
        }
    }

    @Test
    void anSaeThatCannotBeLoadedOnTheExecutorsFailsWithTheExecutorsOneLineError() {
        ConceptAnnotator broken = new ConceptAnnotator(ModelRef.demo(), LAYER,
                SaeRef.of(dir.resolve("no-such-sae").toString()), dir.resolve("concepts.json").toString(), 3);
        Dataset<Row> out = MicrowSpark.annotate(TestSpark.texts(texts), "text", broken, "concepts");
        assertThatThrownBy(out::collectAsList).isInstanceOf(SparkException.class)
                .hasMessageContaining("Job aborted");
        assertThatThrownBy(() -> SparkFailures.run(out::collectAsList)).isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith("cannot load the SAE '" + dir.resolve("no-such-sae"))
                .hasMessageContaining(" on ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("Job aborted"));
    }

    @Test
    void aFailureKnownOnlyByItsMessageIsReducedToTheExecutorsLine() {
        RuntimeException spark = new RuntimeException("Job aborted due to stage failure: Task 0 in stage 1.0 failed 4 "
                + "times, most recent failure: Lost task 0.3 (TID 9) (127.0.0.1 executor 1): "
                + ModelLoadException.class.getName() + ": cannot load model 'm' on executor 1: no config.json\n"
                + "\tat io.microw.spark.ExecutorModels.load(ExecutorModels.java:60)");
        assertThat(SparkFailures.modelLoadFailure(spark)).get(InstanceOfAssertFactories.THROWABLE)
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("cannot load model 'm' on executor 1: no config.json");
        assertThat(SparkFailures.modelLoadFailure(new IllegalStateException("output exists"))).isEmpty();
    }

    /** (latent, score) of the 3 strongest even latents over the text's tokens, computed with the model's cache. */
    private static List<float[]> expected(LanguageModel lm, Sae sae, String text) {
        try (RunResult run = lm.inference().run(List.of(text), Interventions.capture(LAYER))) {
            NDArray acts = run.cache().get(LAYER);
            float[] codes = sae.encode(acts.get(0)).toFloatArray();
            float[] best = new float[LATENTS];
            for (int i = 0; i < codes.length; i++) {
                best[i % LATENTS] = Math.max(best[i % LATENTS], codes[i]);
            }
            List<float[]> named = new ArrayList<>();
            for (int l = 0; l < LATENTS; l += 2) {
                if (best[l] > 0) {
                    named.add(new float[] {l, best[l]});
                }
            }
            named.sort(Comparator.comparingDouble((float[] p) -> -p[1]).thenComparingDouble(p -> p[0]));
            return named.subList(0, Math.min(3, named.size()));
        }
    }
}
