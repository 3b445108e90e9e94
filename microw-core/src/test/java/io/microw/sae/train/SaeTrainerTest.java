package io.microw.sae.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeException;
import io.microw.store.LocalStore;
import io.microw.store.Store;
import io.microw.store.StoreDataLoader;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** End-to-end SAE training on small synthetic data: learning, determinism, resume, bad input, AuxK, schedule. */
class SaeTrainerTest {

    private static final int D_IN = 32;
    private static final int D_SAE = 128;
    private static final int K = 4;
    private static final int BATCH = 256;
    /** 2048 rows / 256 = 8 steps per epoch. */
    private static final int STEPS_PER_EPOCH = 8;

    static Stream<SaeArchitecture> trainable() {
        return Stream.of(SaeArchitecture.TOPK, SaeArchitecture.BATCH_TOPK, SaeArchitecture.STANDARD,
                SaeArchitecture.JUMP_RELU);
    }

    private static SaeConfig config(SaeArchitecture a) {
        boolean usesK = a.usesK();
        return SaeConfig.of(a, D_IN, D_SAE, usesK ? K : 0);
    }

    private static SaeTrainingConfig.Builder recipe() {
        return SaeTrainingConfig.builder().lr(3e-3).batchSize(BATCH).epochs(20).metricsEvery(10).threads(2);
    }

    private static final class Stop extends RuntimeException {
        Stop() {
            super("simulated kill");
        }
    }

    // ---- 1. every trainable architecture learns ---------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("trainable")
    void everyArchitectureLearnsSyntheticSparseData(SaeArchitecture architecture) {
        SyntheticActivations data = SyntheticActivations.standard(1);
        // JumpReLU's dense steps are the slowest: fewer, larger ones
        boolean jump = architecture == SaeArchitecture.JUMP_RELU;
        int epochs = jump ? 12 : 25;
        SaeTrainingConfig.Builder b = recipe().epochs(epochs).lr(jump ? 8e-3 : 3e-3);
        if (architecture == SaeArchitecture.STANDARD) {
            b.l1Coefficient(0.3).l1WarmUpSteps(50);
        } else if (architecture == SaeArchitecture.JUMP_RELU) {
            b.l0Coefficient(0.1).jumpReluBandwidth(0.1);
        }
        try (Sae sae = Sae.create(config(architecture), 7); Sae initial = Sae.create(config(architecture), 7)) {
            if (architecture == SaeArchitecture.JUMP_RELU) {
                // thresholds learn in log space, slowly from SAELens' 0.001: start them where a few hundred steps
                // can move them
                float[] theta = new float[D_SAE];
                java.util.Arrays.fill(theta, 0.5f);
                sae.setParameter("threshold", theta);
                initial.setParameter("threshold", theta);
            }
            TrainingResult result = new SaeTrainer(sae, b.build()).train(data);

            assertThat(result.steps()).isEqualTo((long) epochs * STEPS_PER_EPOCH);
            assertThat(result.tokens()).isEqualTo(epochs * 2048L);
            assertThat(result.skippedBatches()).isZero();
            TrainingMetrics first = result.history().get(0);
            TrainingMetrics last = result.last();
            assertThat(last.step()).isEqualTo(result.steps());
            assertThat(last.mse()).as("mse first %s last %s", first.mse(), last.mse()).isLessThan(first.mse() * 0.5);
            assertThat(last.explainedVariance()).as("explained variance first %s last %s",
                    first.explainedVariance(), last.explainedVariance())
                    .isGreaterThan(first.explainedVariance() + 0.2).isGreaterThan(0.5);
            if (architecture == SaeArchitecture.TOPK) {
                assertThat(last.explainedVariance()).isGreaterThan(0.8);
                assertThat(last.l0()).isLessThanOrEqualTo(K).isGreaterThan(0);
            } else if (architecture == SaeArchitecture.BATCH_TOPK) {
                assertThat(last.l0()).isLessThanOrEqualTo(K + 1e-9).isGreaterThan(0);
            } else {
                assertThat(last.l0()).as("l0 first %s last %s", first.l0(), last.l0())
                        .isGreaterThan(0).isLessThan(first.l0() * 0.8).isLessThan(D_SAE / 2.0);
            }
            if (architecture == SaeArchitecture.JUMP_RELU) {
                assertThat(sae.parameter("threshold")).as("thresholds learn").isNotEqualTo(initial.parameter("threshold"));
            }
            assertThat(result.firingFrequencies()).hasSize(D_SAE);

            // the SAE holds the trained weights, input scale included
            double expectedScale = Math.sqrt(D_IN) / data.meanNorm();
            assertThat((double) sae.inputScale()).isCloseTo(expectedScale, within(1e-4 * expectedScale));
            assertThat(sae.parameter("W_dec")).isNotEqualTo(initial.parameter("W_dec"));
            float[][] rows = data.rows();
            double trained = reconstructionError(sae, rows);
            double untrained = reconstructionError(initial, rows);
            assertThat(trained).as("trained %s untrained %s", trained, untrained).isLessThan(untrained * 0.3);
            // relative error of the trained SAE on raw (unscaled) rows matches the logged explained variance roughly
            assertThat(trained / totalVariance(rows)).isLessThan(0.5);
        }
    }

    @Test
    void withoutNormalisationTheInputScaleStaysOne() {
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            new SaeTrainer(sae, recipe().epochs(1).normalizeActivations(false).build())
                    .train(SyntheticActivations.standard(1));
            assertThat(sae.inputScale()).isEqualTo(1f);
        }
    }

    // ---- 2. determinism ---------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("trainable")
    void sameSeedAndDataGiveBitIdenticalParameters(SaeArchitecture architecture) {
        SaeTrainingConfig cfg = recipe().epochs(architecture == SaeArchitecture.JUMP_RELU ? 2 : 4).build();
        Map<String, float[]> a = trainedParameters(architecture, cfg, SyntheticActivations.standard(3));
        Map<String, float[]> b = trainedParameters(architecture, cfg, SyntheticActivations.standard(3));
        assertBitIdentical(a, b);
    }

    // ---- 3. resume --------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("trainable")
    void aKilledTrainingResumesToTheUninterruptedResult(SaeArchitecture architecture, @TempDir Path dir) {
        SyntheticActivations data = SyntheticActivations.standard(5);
        SaeTrainingConfig.Builder b = recipe().epochs(6).metricsEvery(10).checkpointEvery(20)
                .deadFeatureWindow(2048).auxLossCoefficient(0.1);
        TrainingResult full;
        Map<String, float[]> expected;
        try (Sae sae = Sae.create(config(architecture), 11)) {
            full = new SaeTrainer(sae, b.checkpointDir(dir.resolve("full")).build()).train(data);
            expected = parameters(sae);
            assertThat(sae.inputScale()).isNotEqualTo(1f);
        }
        SaeTrainingConfig cfg = b.checkpointDir(dir.resolve("killed")).build();
        try (Sae sae = Sae.create(config(architecture), 11)) {
            SaeTrainer trainer = new SaeTrainer(sae, cfg).onMetrics(m -> {
                if (m.step() == 30) {
                    throw new Stop();
                }
            });
            assertThatThrownBy(() -> trainer.train(data)).isInstanceOf(Stop.class);
        }
        // killed in the metrics listener of step 30: the newest checkpoint is step 20's
        assertThat(checkpoints(dir.resolve("killed"))).containsExactly("step_000000020");
        TrainingResult resumed;
        try (Sae fresh = Sae.create(config(architecture), 11)) {
            List<Long> seen = new ArrayList<>();
            resumed = new SaeTrainer(fresh, cfg).onMetrics(m -> seen.add(m.step())).resume(data);
            assertThat(seen).containsExactly(30L, 40L, 48L);
            Map<String, float[]> actual = parameters(fresh);
            assertClose(actual, expected, 1e-6f);
            assertBitIdentical(actual, expected); // input_scale included: restored from the checkpoint
        }
        assertThat(resumed.steps()).isEqualTo(full.steps()).isEqualTo(48);
        assertThat(resumed.tokens()).isEqualTo(full.tokens());
        List<Long> steps = resumed.history().stream().map(TrainingMetrics::step).toList();
        assertThat(steps).containsExactly(10L, 20L, 30L, 40L, 48L);
        for (int i = 0; i < steps.size(); i++) {
            assertThat(resumed.history().get(i).mse()).as("mse at step %s", steps.get(i))
                    .isEqualTo(full.history().get(i).mse());
        }
        // resuming a finished training does nothing more
        try (Sae again = Sae.create(config(architecture), 11)) {
            TrainingResult noop = new SaeTrainer(again, cfg).resume(data);
            assertThat(noop.steps()).isEqualTo(48);
            assertBitIdentical(parameters(again), expected);
        }
    }

    @Test
    void resumeWithoutACheckpointStartsAfresh(@TempDir Path dir) {
        SaeTrainingConfig cfg = recipe().epochs(2).checkpointDir(dir).build();
        Map<String, float[]> plain = trainedParameters(SaeArchitecture.TOPK, recipe().epochs(2).build(),
                SyntheticActivations.standard(3));
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            new SaeTrainer(sae, cfg).resume(SyntheticActivations.standard(3));
            assertBitIdentical(parameters(sae), plain);
        }
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            assertThatThrownBy(() -> new SaeTrainer(sae, recipe().build()).resume(SyntheticActivations.standard(3)))
                    .isInstanceOf(SaeException.class).hasMessageContaining("checkpoint directory");
        }
    }

    // ---- 4. bad input -----------------------------------------------------------------------------------------

    @Test
    void nonFiniteValuesStopTrainingNamingBatchRowAndValue() {
        ActivationSource nan = SyntheticActivations.changed(SyntheticActivations.standard(1), (i, batch) -> {
            if (i == 2) {
                batch[5][7] = Float.NaN;
            }
            return batch;
        });
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            assertThatThrownBy(() -> new SaeTrainer(sae, recipe().build()).train(nan))
                    .isInstanceOf(SaeException.class)
                    .hasMessageContaining("batch 3 row 5 column 7 holds NaN")
                    .hasMessageContaining("SKIP_BATCH");
        }
        ActivationSource inf = SyntheticActivations.changed(SyntheticActivations.standard(1), (i, batch) -> {
            if (i == 0) {
                batch[200][0] = Float.NEGATIVE_INFINITY;
            }
            return batch;
        });
        try (Sae sae = Sae.create(config(SaeArchitecture.STANDARD), 7)) {
            assertThatThrownBy(() -> new SaeTrainer(sae, recipe().build()).train(inf))
                    .isInstanceOf(SaeException.class)
                    .hasMessageContaining("batch 1 row 200 column 0 holds -Infinity");
        }
    }

    @Test
    void skipBatchPolicySkipsAndCountsBadBatches() {
        ActivationSource bad = SyntheticActivations.changed(SyntheticActivations.standard(1), (i, batch) -> {
            if (i == 1 || i == 6) {
                batch[0][0] = Float.POSITIVE_INFINITY;
            }
            return batch;
        });
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            TrainingResult r = new SaeTrainer(sae, recipe().epochs(1).metricsEvery(5)
                    .nonFinitePolicy(SaeTrainingConfig.NonFinitePolicy.SKIP_BATCH).build()).train(bad);
            assertThat(r.skippedBatches()).isEqualTo(2);
            assertThat(r.steps()).isEqualTo(STEPS_PER_EPOCH - 2);
            // the data ran out before the planned 8 steps: the last line still covers the steps after step 5
            assertThat(r.history()).extracting(TrainingMetrics::step).containsExactly(5L, 6L);
            assertThat(r.tokens()).isEqualTo((STEPS_PER_EPOCH - 2) * (long) BATCH);
            assertThat(r.history()).allSatisfy(m -> assertThat(m.mse()).isFinite());
            for (String p : sae.parameterNames()) {
                for (float v : sae.parameter(p)) {
                    assertThat(v).isFinite();
                }
            }
            // the input scale ignores the bad rows
            assertThat(sae.inputScale()).isFinite().isGreaterThan(0f);
        }
    }

    @Test
    void divergenceStopsWithAClearErrorAndKeepsTheLastCheckpoint(@TempDir Path dir) throws IOException {
        Path ckpt = dir.resolve("ckpt");
        AtomicReference<Map<String, byte[]>> snapshot = new AtomicReference<>();
        ActivationSource exploding = SyntheticActivations.changed(SyntheticActivations.standard(1), (i, batch) -> {
            if (i == 25) { // batch 26: the checkpoint of step 20 is complete
                snapshot.set(readTree(ckpt));
            }
            if (i >= 25) {
                for (float[] row : batch) {
                    for (int c = 0; c < row.length; c++) {
                        row[c] *= 3e37f;
                    }
                }
            }
            return batch;
        });
        SaeTrainingConfig cfg = recipe().epochs(10).checkpointEvery(20).checkpointDir(ckpt).maxGradNorm(0)
                .normalizeActivations(false).initBDecToMean(false).build();
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            assertThatThrownBy(() -> new SaeTrainer(sae, cfg).train(exploding))
                    .isInstanceOf(SaeException.class)
                    .hasMessageMatching("(?s)training diverged at step (26|27): the loss became .*")
                    .hasMessageContaining("lower the learning rate")
                    .hasMessageContaining("step_000000020");
        }
        assertThat(snapshot.get()).isNotEmpty();
        assertThat(checkpoints(ckpt)).containsExactly("step_000000020");
        Map<String, byte[]> after = readTree(ckpt);
        assertThat(after.keySet()).isEqualTo(snapshot.get().keySet());
        after.forEach((k, v) -> assertThat(v).as(k).isEqualTo(snapshot.get().get(k)));
        // and it is loadable: resuming on good data finishes the training
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 99)) {
            TrainingResult r = new SaeTrainer(sae, cfg).resume(SyntheticActivations.standard(1));
            assertThat(r.steps()).isEqualTo(10L * STEPS_PER_EPOCH);
            assertThat(r.history().get(0).step()).isEqualTo(10);
            assertThat(r.last().mse()).isFinite();
        }
    }

    @Test
    void widthMismatchAndEmptySourcesAreClearErrors() {
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            SaeTrainer trainer = new SaeTrainer(sae, recipe().build());
            assertThatThrownBy(() -> trainer.train(new SyntheticActivations(16, 8, 2, 64, 0.01, 1)))
                    .isInstanceOf(SaeException.class)
                    .hasMessageContaining("d_in=32").hasMessageContaining("width 16");
            assertThatThrownBy(() -> trainer.train(sized(0)))
                    .isInstanceOf(SaeException.class).hasMessageContaining("the data source is empty");
            assertThatThrownBy(() -> trainer.train(sized(-1)))
                    .isInstanceOf(SaeException.class).hasMessageContaining("total_training_tokens");
            SaeTrainer byTokens = new SaeTrainer(sae, recipe().totalTrainingTokens(1000).build());
            assertThatThrownBy(() -> byTokens.train(sized(-1)))
                    .isInstanceOf(SaeException.class).hasMessageContaining("the data source is empty");
        }
    }

    @Test
    void totalTrainingTokensSetsTheStepCountAndRepeatsTheData() {
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            TrainingResult r = new SaeTrainer(sae, recipe().totalTrainingTokens(5000).build())
                    .train(SyntheticActivations.standard(1));
            assertThat(r.steps()).isEqualTo(20); // ceil(5000 / 256)
            assertThat(r.last().step()).isEqualTo(20);
            assertThat(r.last().totalSteps()).isEqualTo(20);
        }
    }

    @Test
    void invalidConfigsNameTheValue(@TempDir Path dir) {
        assertThatThrownBy(() -> SaeTrainingConfig.builder().lr(-1e-3).build())
                .isInstanceOf(SaeException.class).hasMessageContaining("lr").hasMessageContaining("-0.001");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().lr(1e6).build())
                .isInstanceOf(SaeException.class).hasMessageContaining("1000000.0");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().adamBeta1(1.0).build())
                .isInstanceOf(SaeException.class).hasMessageContaining("adam_beta1 must be in [0, 1), got 1.0");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().adamBeta2(1.5).build())
                .isInstanceOf(SaeException.class).hasMessageContaining("adam_beta2").hasMessageContaining("1.5");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().batchSize(0).build())
                .isInstanceOf(SaeException.class).hasMessageContaining("batch_size must be at least 1, got 0");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().epochs(0).build())
                .isInstanceOf(SaeException.class).hasMessageContaining("epochs").hasMessageContaining("0");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().checkpointEvery(10).build())
                .isInstanceOf(SaeException.class)
                .hasMessageContaining("checkpoint_every=10 needs a checkpoint directory");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().checkpointEvery(15).metricsEvery(10).checkpointDir(dir)
                .build())
                .isInstanceOf(SaeException.class)
                .hasMessageContaining("checkpoint_every=15 must be a multiple of metrics_every=10");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().deadFeatureWindow(0).build())
                .isInstanceOf(SaeException.class).hasMessageContaining("dead_feature_window").hasMessageContaining("0");
        assertThatThrownBy(() -> SaeTrainingConfig.builder().maxGradNorm(Double.NaN).build())
                .isInstanceOf(SaeException.class).hasMessageContaining("max_grad_norm").hasMessageContaining("NaN");
        assertThatThrownBy(() -> SaeConfig.of(SaeArchitecture.TOPK, D_IN, D_SAE, 0))
                .isInstanceOf(SaeException.class).hasMessageContaining("k must be in 1..127").hasMessageContaining("got 0");
        assertThatThrownBy(() -> SaeConfig.of(SaeArchitecture.BATCH_TOPK, D_IN, D_SAE, D_SAE))
                .isInstanceOf(SaeException.class).hasMessageContaining("got 128");
        // a config built from a valid one keeps its values and validates again
        SaeTrainingConfig ok = recipe().build();
        assertThat(ok.toBuilder().lr(1e-4).build().batchSize()).isEqualTo(BATCH);
        assertThatThrownBy(() -> ok.toBuilder().batchSize(-3).build()).hasMessageContaining("-3");
    }

    @Test
    void gatedSaesAreRejectedByTheTrainer() {
        try (Sae gated = Sae.create(SaeConfig.of(SaeArchitecture.GATED, D_IN, D_SAE, 0), 1)) {
            assertThatThrownBy(() -> new SaeTrainer(gated, recipe().build()))
                    .isInstanceOf(SaeException.class).hasMessageContaining("gated")
                    .hasMessageContaining("not trained");
        }
    }

    // ---- 5. AuxK revives dead latents -------------------------------------------------------------------------

    @Test
    void auxKLossRevivesDeadLatents() {
        double withoutAux = finalDeadFraction(0.0);
        double withAux = finalDeadFraction(1.0);
        assertThat(withoutAux).as("without AuxK").isGreaterThanOrEqualTo(0.45);
        assertThat(withAux).as("with AuxK (without: %s)", withoutAux).isLessThan(0.2);
    }

    private static double finalDeadFraction(double auxCoefficient) {
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 13)) {
            float[] bEnc = new float[D_SAE];
            for (int i = 0; i < D_SAE / 2; i++) {
                bEnc[i] = -4f; // half the latents start dead: their pre-activations stay far below the others'
            }
            sae.setParameter("b_enc", bEnc);
            SaeTrainingConfig cfg = recipe().epochs(15).deadFeatureWindow(4 * BATCH)
                    .auxLossCoefficient(auxCoefficient).initEncoderAsDecoderTranspose(false).initBDecToMean(false)
                    .build();
            TrainingResult r = new SaeTrainer(sae, cfg).train(SyntheticActivations.standard(2));
            assertThat(r.history().get(0).deadFraction()).isGreaterThanOrEqualTo(0.45);
            if (auxCoefficient > 0) {
                assertThat(r.history().get(0).auxLoss()).isGreaterThan(0);
            } else {
                assertThat(r.history()).allSatisfy(m -> assertThat(m.auxLoss()).isZero());
            }
            return r.last().deadFraction();
        }
    }

    // ---- 6. learning-rate schedule ----------------------------------------------------------------------------

    @Test
    void learningRateWarmsUpHoldsAndDecaysToZero() {
        double lr = 2e-3;
        List<TrainingMetrics> lines = new ArrayList<>();
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            TrainingResult r = new SaeTrainer(sae, recipe().lr(lr).epochs(5).metricsEvery(1).lrWarmUpSteps(10)
                    .lrDecaySteps(10).build()).onMetrics(lines::add).train(SyntheticActivations.standard(1));
            assertThat(r.history()).hasSize(40);
            assertThat(lines).hasSize(40);
        }
        for (TrainingMetrics m : lines) {
            long s = m.step();
            double expected = s <= 10 ? lr * s / 10 : s <= 30 ? lr : lr * (40 - s + 1) / 10;
            assertThat(m.lr()).as("lr at step %s", s).isCloseTo(expected, within(1e-12));
        }
        assertThat(lines.get(0).lr()).isCloseTo(lr / 10, within(1e-12));
        assertThat(lines.get(9).lr()).isEqualTo(lr);
        assertThat(lines.get(20).lr()).isEqualTo(lr);
        // decays towards 0: the last step trains with lr/decay, one step from zero
        assertThat(lines.get(39).lr()).isLessThanOrEqualTo(lr / 10 + 1e-15);
        for (int i = 1; i < 10; i++) {
            assertThat(lines.get(i).lr()).isGreaterThan(lines.get(i - 1).lr());
        }
        for (int i = 31; i < 40; i++) {
            assertThat(lines.get(i).lr()).isLessThan(lines.get(i - 1).lr());
        }
    }

    // ---- 7. history.json --------------------------------------------------------------------------------------

    @Test
    void historyJsonHoldsOneEntryPerMetricsLineWithSaeLensNames(@TempDir Path dir) throws IOException {
        TrainingResult r;
        try (Sae sae = Sae.create(config(SaeArchitecture.TOPK), 7)) {
            r = new SaeTrainer(sae, recipe().epochs(3).metricsEvery(5).checkpointEvery(10).checkpointDir(dir)
                    .build()).train(SyntheticActivations.standard(1));
        }
        Path history = dir.resolve("history.json");
        assertThat(history).isRegularFile();
        JsonNode json = new ObjectMapper().readTree(history.toFile());
        assertThat(json.isArray()).isTrue();
        // 24 steps, a line every 5 and one at the end
        assertThat(json.size()).isEqualTo(r.history().size()).isEqualTo(5);
        List<Long> steps = new ArrayList<>();
        for (int i = 0; i < json.size(); i++) {
            JsonNode e = json.get(i);
            for (String key : List.of("step", "mse", "explained_variance", "l0", "l1", "dead_fraction",
                    "dense_fraction", "l2_ratio", "lr", "loss", "n_training_tokens")) {
                assertThat(e.has(key)).as("entry %s has %s", i, key).isTrue();
                assertThat(e.get(key).isNumber()).as("entry %s: %s is a number", i, key).isTrue();
            }
            steps.add(e.get("step").asLong());
            assertThat(e.get("mse").asDouble()).isEqualTo(r.history().get(i).mse());
            assertThat(e.get("l0").asDouble()).isLessThanOrEqualTo(K);
        }
        assertThat(steps).containsExactly(5L, 10L, 15L, 20L, 24L);
        assertThat(checkpoints(dir)).containsExactly("step_000000024");
    }

    // ---- 8. store-backed training -----------------------------------------------------------------------------

    @Test
    void trainsFromSavedModelActivations(@TempDir Path dir) throws IOException {
        List<String> texts = List.of("The quick brown fox jumps over the lazy dog.", "Hello world",
                "Sparse autoencoders find features in activations.", "A", "one two three four five six seven",
                "Mechanistic interpretability on the JVM.");
        LocalStore store = new LocalStore(dir.resolve("store"));
        Path modelDir = tinyModelWithTokenizer(dir.resolve("model"), texts);
        long realTokens = 0;
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            for (String t : texts) {
                realTokens += lm.tokenizer().encode(t).length;
            }
            lm.activations().saveActivations(texts, List.of("transformer.h.0"),
                    SaveOptions.into(store).withRunName("acts").withBatchSize(4));
        }
        long maskTokens = 0;
        for (int batch : store.listBatches("acts")) {
            for (long m : store.readTensor("acts", batch, Store.ATTENTION_MASKS, Store.ATTENTION_MASK).longs()) {
                maskTokens += m;
            }
        }
        assertThat(maskTokens).isEqualTo(realTokens);
        StoreDataLoader loader = StoreDataLoader.builder(store, "acts", "transformer.h.0").build();
        StoreActivationSource source = new StoreActivationSource(loader);
        assertThat(source.width()).isEqualTo(64);
        assertThat(source.rowsPerEpoch()).isEqualTo(realTokens);
        // a batch size that leaves a partial batch at the end of an epoch, and for which running on across the
        // epoch boundary (as the loader does) gives fewer batches than epochs x batches per epoch
        int batch = 5;
        while (realTokens % batch == 0 || realTokens % batch > batch / 2) {
            batch++;
        }
        long expectedSteps = (2 * realTokens + batch - 1) / batch;
        assertThat(expectedSteps).isLessThan(2 * ((realTokens + batch - 1) / batch));
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 64, 128, 4), 3)) {
            List<Long> seen = new ArrayList<>();
            TrainingResult r = new SaeTrainer(sae, SaeTrainingConfig.builder().batchSize(batch).epochs(2).lr(1e-3)
                    .metricsEvery(1).threads(2).build()).onMetrics(m -> seen.add(m.step())).train(source);
            assertThat(r.steps()).isEqualTo(expectedSteps);
            assertThat(r.tokens()).isEqualTo(2 * realTokens);
            assertThat(seen).hasSize((int) expectedSteps);
            assertThat(r.last().step()).isEqualTo(expectedSteps);
            assertThat(r.last().totalSteps()).isEqualTo(expectedSteps);
            assertThat(r.last().mse()).isFinite();
            assertThat(sae.inputScale()).isFinite().isGreaterThan(0f);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /**
     * The tiny random-weight GPT-2 of the test fixtures (d_model 64, vocab 1000) with a word-level tokenizer over
     * the words of {@code texts} (the fixture has no tokenizer).
     */
    private static Path tinyModelWithTokenizer(Path dir, List<String> texts) throws IOException {
        Files.createDirectories(dir);
        try (Fixture fixture = Fixture.open("gpt2")) {
            for (String f : List.of("config.json", "model.safetensors")) {
                Files.copy(fixture.modelDir().resolve(f), dir.resolve(f));
            }
        }
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode vocab = json.createObjectNode();
        vocab.put("[UNK]", 0);
        vocab.put("[PAD]", 1);
        for (String t : texts) {
            for (String w : t.toLowerCase(java.util.Locale.ROOT).split("\\W+")) {
                if (!w.isEmpty() && !vocab.has(w)) {
                    vocab.put(w, vocab.size());
                }
            }
            for (String p : t.split("[\\w\\s]+")) {
                if (!p.isEmpty() && !vocab.has(p)) {
                    vocab.put(p, vocab.size());
                }
            }
        }
        com.fasterxml.jackson.databind.node.ObjectNode tok = json.createObjectNode();
        tok.put("version", "1.0");
        tok.putNull("truncation");
        tok.putNull("padding");
        com.fasterxml.jackson.databind.node.ArrayNode added = tok.putArray("added_tokens");
        for (String special : List.of("[UNK]", "[PAD]")) {
            added.addObject().put("id", vocab.get(special).asInt()).put("content", special).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        tok.putObject("normalizer").put("type", "Lowercase");
        tok.putObject("pre_tokenizer").put("type", "Whitespace");
        tok.putNull("post_processor");
        tok.putNull("decoder");
        com.fasterxml.jackson.databind.node.ObjectNode model = tok.putObject("model");
        model.put("type", "WordLevel");
        model.set("vocab", vocab);
        model.put("unk_token", "[UNK]");
        json.writeValue(dir.resolve("tokenizer.json").toFile(), tok);
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(),
                json.createObjectNode().put("pad_token", "[PAD]").put("unk_token", "[UNK]"));
        return dir;
    }

    private static ActivationSource sized(long rows) {
        return new ActivationSource() {
            @Override
            public int width() {
                return D_IN;
            }

            @Override
            public long rowsPerEpoch() {
                return rows;
            }

            @Override
            public Iterator<float[][]> batches(int size, int epochs) {
                return java.util.Collections.emptyIterator();
            }
        };
    }

    private static Map<String, float[]> trainedParameters(SaeArchitecture a, SaeTrainingConfig cfg,
                                                          ActivationSource source) {
        try (Sae sae = Sae.create(config(a), 7)) {
            new SaeTrainer(sae, cfg).train(source);
            return parameters(sae);
        }
    }

    private static Map<String, float[]> parameters(Sae sae) {
        Map<String, float[]> p = new TreeMap<>();
        for (String name : sae.parameterNames()) {
            p.put(name, sae.parameter(name));
        }
        p.put("input_scale", new float[] {sae.inputScale()});
        return p;
    }

    private static void assertBitIdentical(Map<String, float[]> actual, Map<String, float[]> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (String name : expected.keySet()) {
            float[] a = actual.get(name);
            float[] e = expected.get(name);
            assertThat(a).hasSameSizeAs(e);
            for (int i = 0; i < e.length; i++) {
                if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(e[i])) {
                    throw new AssertionError(name + "[" + i + "] differs: " + a[i] + " vs " + e[i]);
                }
            }
        }
    }

    private static void assertClose(Map<String, float[]> actual, Map<String, float[]> expected, float tolerance) {
        for (String name : expected.keySet()) {
            float[] a = actual.get(name);
            float[] e = expected.get(name);
            for (int i = 0; i < e.length; i++) {
                assertThat(a[i]).as("%s[%s]", name, i).isCloseTo(e[i], within(tolerance));
            }
        }
    }

    /** Mean squared reconstruction error (summed over d_in) of {@code sae.forward} on raw rows. */
    private static double reconstructionError(Sae sae, float[][] rows) {
        int n = rows.length;
        int d = rows[0].length;
        float[] flat = new float[n * d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(rows[i], 0, flat, i * d, d);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            float[] out = sae.forward(m.create(flat, new Shape(n, d))).toFloatArray();
            double sum = 0;
            for (int i = 0; i < flat.length; i++) {
                double e = out[i] - flat[i];
                sum += e * e;
            }
            return sum / n;
        }
    }

    /** Mean squared distance of the rows from their mean (summed over d_in). */
    private static double totalVariance(float[][] rows) {
        int d = rows[0].length;
        double[] mean = new double[d];
        for (float[] r : rows) {
            for (int c = 0; c < d; c++) {
                mean[c] += r[c] / (double) rows.length;
            }
        }
        double sum = 0;
        for (float[] r : rows) {
            for (int c = 0; c < d; c++) {
                sum += (r[c] - mean[c]) * (r[c] - mean[c]);
            }
        }
        return sum / rows.length;
    }

    private static List<String> checkpoints(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step_")).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Every file under {@code dir} (relative path → bytes). */
    private static Map<String, byte[]> readTree(Path dir) {
        Map<String, byte[]> files = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return files;
    }
}
