package io.microw.sae.train;

import io.microw.demo.HookHygiene;
import io.microw.data.Datasets;
import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.lm.UnknownLayerException;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.store.LocalStore;
import io.microw.store.StoreDataLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ModelActivationSource on brown-gpt2 (4 blocks, d_model 256): rows, alignment, shuffling, training, hooks. */
class ModelActivationSourceTest {

    private static final String A = "layer_1";
    private static final String B = "blocks.2.hook_resid_post";

    private static LanguageModel lm;
    /** Validation sentences plus one with a typed special token (excluded by default). */
    private static List<String> texts;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        List<String> t = new ArrayList<>(BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).subList(0, 16)
                .stream().map(BrownCorpus.Sentence::text).toList());
        t.add(3, "The end.<|endoftext|>Another start");
        texts = List.copyOf(t);
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void noHookLeftBehind() {
        HookHygiene.assertNoHooksLeft(lm);
    }

    private static ModelActivationSource.Builder source(List<String> layers) {
        return ModelActivationSource.builder(lm, texts, layers).textBatchSize(8);
    }

    /** All rows of one pass, per layer, in order. */
    private static Map<String, List<float[]>> all(LayerActivationSource s, int batch, int epochs) {
        Map<String, List<float[]>> out = new HashMap<>();
        Iterator<Map<String, float[][]>> it = s.batches(batch, epochs);
        while (it.hasNext()) {
            Map<String, float[][]> b = it.next();
            assertThat(b.keySet()).containsExactlyElementsOf(s.layers());
            int n = b.get(s.layers().get(0)).length;
            assertThat(n).isBetween(1, batch);
            b.forEach((layer, rows) -> {
                assertThat(rows.length).isEqualTo(n);
                out.computeIfAbsent(layer, k -> new ArrayList<>()).addAll(List.of(rows));
            });
        }
        return out;
    }

    private static List<float[]> saved(LocalStore store, String run, String layer, boolean excludeSpecial) {
        List<float[]> rows = new ArrayList<>();
        StoreDataLoader.builder(store, run, lm.layers().resolve(layer)).excludeSpecialTokens(excludeSpecial).build()
                .forEach(rows::add);
        return rows;
    }

    private static void assertRowsClose(List<float[]> actual, List<float[]> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int r = 0; r < expected.size(); r++) {
            float[] a = actual.get(r);
            float[] e = expected.get(r);
            assertThat(a).hasSameSizeAs(e);
            for (int c = 0; c < e.length; c++) {
                if (Math.abs(a[c] - e[c]) > 1e-5 * Math.max(1, Math.abs(e[c]))) {
                    throw new AssertionError("row " + r + " col " + c + ": " + a[c] + " vs saved " + e[c]);
                }
            }
        }
    }

    @Test
    void rowsEqualSavedActivationsReadBack(@TempDir Path dir) {
        lm.activations().saveActivations(texts, List.of(A, B), SaveOptions.into(dir).withRunName("r").withBatchSize(8));
        LocalStore store = new LocalStore(dir);

        ModelActivationSource s = source(List.of(A, B)).shuffleBufferRows(0).build();
        assertThat(s.layers()).containsExactly(A, B);
        assertThat(s.width(A)).isEqualTo(256);
        assertThat(s.width(B)).isEqualTo(256);
        Map<String, List<float[]>> rows = all(s, 100, 1);
        assertRowsClose(rows.get(A), saved(store, "r", A, true));
        assertRowsClose(rows.get(B), saved(store, "r", B, true));
        assertThat(s.rowsPerEpoch()).isEqualTo(rows.get(A).size());

        ModelActivationSource withSpecial = source(List.of(A)).shuffleBufferRows(0).excludeSpecialTokens(false).build();
        Map<String, List<float[]>> rowsWithSpecial = all(withSpecial, 100, 1);
        assertRowsClose(rowsWithSpecial.get(A), saved(store, "r", A, false));
        assertThat(withSpecial.rowsPerEpoch()).isEqualTo(rowsWithSpecial.get(A).size())
                .isEqualTo(s.rowsPerEpoch() + 1);

        ModelActivationSource fromDataset = ModelActivationSource.builder(lm, Datasets.fromTexts("test", texts),
                List.of(A)).textBatchSize(5).shuffleBufferRows(0).build();
        Map<String, List<float[]>> rowsFromDataset = all(fromDataset, 64, 1);
        assertRowsClose(rowsFromDataset.get(A), rows.get(A));
        assertThat(fromDataset.rowsPerEpoch()).isEqualTo(s.rowsPerEpoch());
    }

    @Test
    void shuffledRowsStayAlignedAndAreDeterministic() {
        ModelActivationSource plain = source(List.of(A, B)).shuffleBufferRows(0).build();
        Map<String, List<float[]>> ordered = all(plain, 128, 1);
        // Equal layer-A rows (the same token after the same prefix, e.g. a sentence's first word) have equal B rows.
        Map<List<Float>, float[]> bByA = new HashMap<>();
        Map<List<Float>, Integer> count = new HashMap<>();
        for (int r = 0; r < ordered.get(A).size(); r++) {
            float[] previous = bByA.put(key(ordered.get(A).get(r)), ordered.get(B).get(r));
            if (previous != null) {
                assertThat(previous).isEqualTo(ordered.get(B).get(r));
            }
            count.merge(key(ordered.get(A).get(r)), 1, Integer::sum);
        }

        ModelActivationSource mixed = source(List.of(A, B)).shuffleBufferRows(64).seed(5).build();
        Map<String, List<float[]>> shuffled = all(mixed, 50, 2);
        long n = mixed.rowsPerEpoch();
        assertThat(shuffled.get(A)).hasSize((int) (2 * n));
        assertThat(shuffled.get(B)).hasSize((int) (2 * n));
        int moved = 0;
        Map<List<Float>, Integer> shuffledCount = new HashMap<>();
        for (int r = 0; r < shuffled.get(A).size(); r++) {
            shuffledCount.merge(key(shuffled.get(A).get(r)), 1, Integer::sum);
            float[] b = bByA.get(key(shuffled.get(A).get(r)));
            assertThat(b).as("row %d of layer A is a row of the unshuffled pass", r).isNotNull();
            assertThat(shuffled.get(B).get(r)).as("row %d of layer B follows its token", r).isEqualTo(b);
            if (r < n && !key(shuffled.get(A).get(r)).equals(key(ordered.get(A).get(r)))) {
                moved++;
            }
        }
        count.replaceAll((k, v) -> 2 * v);
        assertThat(shuffledCount).as("two epochs hold every token twice").isEqualTo(count);
        assertThat(moved).as("the buffer mixes rows").isGreaterThan((int) (n / 2));
        Map<String, List<float[]>> again = all(mixed, 50, 2);
        for (int r = 0; r < again.get(A).size(); r++) {
            assertThat(again.get(A).get(r)).isEqualTo(shuffled.get(A).get(r));
        }
    }

    private static List<Float> key(float[] row) {
        List<Float> k = new ArrayList<>(row.length);
        for (float v : row) {
            k.add(v);
        }
        return k;
    }

    private static Sae sae(int k, long seed) {
        return Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 512, k), seed);
    }

    private static SaeTrainer trainer(Sae sae, long seed, List<TrainingMetrics> metrics) {
        SaeTrainingConfig config = SaeTrainingConfig.builder().batchSize(256).epochs(2).lr(1e-3)
                .initSampleRows(256).metricsEvery(1).threads(1).seed(seed).build();
        return new SaeTrainer(sae, config).onMetrics(metrics::add);
    }

    @Test
    void trainsSeveralSaesInOnePassAsEachAlone() {
        ModelActivationSource s = ModelActivationSource.builder(lm, texts.subList(0, 11), List.of(A, "layer_2"))
                .textBatchSize(6).shuffleBufferRows(128).seed(7).build();
        assertThat(s.rowsPerEpoch()).isBetween(257L, 511L);
        List<List<TrainingMetrics>> metrics = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        int[] ks = {8, 16, 8};
        List<String> layers = List.of(A, A, "layer_2");
        List<SaeTrainer> trainers = new ArrayList<>();
        List<Sae> saes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            saes.add(sae(ks[i], 11 + i));
            trainers.add(trainer(saes.get(i), 11 + i, metrics.get(i)));
        }
        List<TrainingResult> together = SaeTrainer.trainTogether(trainers, layers, s);
        assertThat(lm.layers().allHooks()).isEmpty();
        assertThat(together).hasSize(3);
        for (int i = 0; i < 3; i++) {
            TrainingResult r = together.get(i);
            assertThat(r.steps()).isGreaterThan(0);
            List<TrainingMetrics> m = metrics.get(i);
            assertThat(m.size()).isGreaterThan(2);
            assertThat(m.get(m.size() - 1).loss()).as("SAE %d loss", i).isLessThan(m.get(0).loss());
            assertThat(r.tokens()).isEqualTo(2 * s.rowsPerEpoch());
        }
        for (int i = 0; i < 3; i++) {
            List<TrainingMetrics> aloneMetrics = new ArrayList<>();
            try (Sae trainedAlone = sae(ks[i], 11 + i)) {
                TrainingResult r = trainer(trainedAlone, 11 + i, aloneMetrics).train(s.layer(layers.get(i)));
                assertThat(r.steps()).isEqualTo(together.get(i).steps());
                assertThat(aloneMetrics.stream().map(TrainingMetrics::loss).toList())
                        .as("SAE %d trained alone logs the same losses", i)
                        .isEqualTo(metrics.get(i).stream().map(TrainingMetrics::loss).toList());
                Sae trainedTogether = saes.get(i);
                assertThat(trainedAlone.inputScale()).isEqualTo(trainedTogether.inputScale());
                for (String p : trainedTogether.parameterNames()) {
                    assertThat(trainedAlone.parameter(p)).as("SAE %d parameter %s", i, p)
                            .isEqualTo(trainedTogether.parameter(p));
                }
            }
        }
        saes.forEach(Sae::close);
    }

    @Test
    void hooksAreGoneAfterAnAbandonedOrFailedPass() {
        ModelActivationSource s = source(List.of(A, B)).shuffleBufferRows(0).build();
        Iterator<Map<String, float[][]>> it = s.batches(16, 1);
        assertThat(it.next().get(A)).hasNumberOfRows(16);
        assertThat(lm.layers().allHooks()).as("between forwards").isEmpty();

        ModelActivationSource tooLong = source(List.of(A)).maxLength(4).truncation(false).build();
        assertThatThrownBy(() -> tooLong.batches(16, 1).hasNext()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncation");
        assertThat(lm.layers().allHooks()).as("after a failed forward").isEmpty();

        ModelActivationSource truncated = source(List.of(A)).maxLength(4).shuffleBufferRows(0).build();
        assertThat(truncated.rowsPerEpoch()).isEqualTo(all(truncated, 1000, 1).get(A).size()).isLessThanOrEqualTo(4L * texts.size());
    }

    @Test
    void badInputIsAClearError() {
        assertThatThrownBy(() -> ModelActivationSource.builder(lm, texts, List.of("transformer.h.9")).build())
                .isInstanceOf(UnknownLayerException.class).hasMessageContaining("transformer.h.9");
        assertThatThrownBy(() -> ModelActivationSource.builder(lm, List.of(), List.of(A)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> ModelActivationSource.builder(lm, texts, List.of()).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no layers");
        assertThatThrownBy(() -> source(List.of(A)).shuffleBufferRows(1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> source(List.of(A)).build().layer("layer_3"))
                .hasMessageContaining("layer_3");
    }
}
