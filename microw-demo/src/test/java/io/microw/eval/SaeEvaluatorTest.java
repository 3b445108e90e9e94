package io.microw.eval;

import io.microw.demo.HookHygiene;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.data.Datasets;
import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownGpt2;
import io.microw.hooks.FunctionController;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.UnknownLayerException;
import io.microw.nn.Linear;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeException;
import io.microw.tokenizer.Encodings;
import io.microw.tokenizer.PaddingSide;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** SaeEvaluator on brown-gpt2 (4 blocks, d_model 256) with SAEs whose metrics are known. */
class SaeEvaluatorTest {

    private static final String LAYER = "transformer.h.1";
    private static final int D = 256;

    private static LanguageModel lm;
    private static List<String> texts;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        texts = BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).stream()
                .map(BrownCorpus.Sentence::text).limit(10).toList();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void noHookLeftBehind() {
        HookHygiene.assertNoHooksLeft(lm);
    }

    /** ReLU SAE with W_enc = [I, -I], W_dec = [I; -I], no biases: relu(x) - relu(-x) = x exactly. */
    private static Sae identitySae() {
        float[] wEnc = new float[D * 2 * D];
        float[] wDec = new float[2 * D * D];
        for (int i = 0; i < D; i++) {
            wEnc[i * 2 * D + i] = 1;
            wEnc[i * 2 * D + D + i] = -1;
            wDec[i * D + i] = 1;
            wDec[(D + i) * D + i] = -1;
        }
        return Sae.fromParameters(SaeConfig.of(SaeArchitecture.STANDARD, D, 2 * D, 0), Map.of(
                "W_enc", wEnc, "b_enc", new float[2 * D], "W_dec", wDec, "b_dec", new float[D]));
    }

    private static Sae zeroSae() {
        return Sae.fromParameters(SaeConfig.of(SaeArchitecture.STANDARD, D, 64, 0), Map.of(
                "W_enc", new float[D * 64], "b_enc", new float[64], "W_dec", new float[64 * D], "b_dec", new float[D]));
    }

    @Test
    void perfectReconstructionScoresOne() {
        List<EvalProgress> seen = new ArrayList<>();
        SaeEvaluation e;
        try (Sae sae = identitySae()) {
            e = new SaeEvaluator(lm).batchSize(4).progress(seen::add).evaluate(sae, LAYER, texts);
        }
        assertThat(e.explainedVariance()).isCloseTo(1, within(1e-4));
        assertThat(e.mse()).isCloseTo(0, within(1e-6));
        assertThat(e.l2Ratio()).isCloseTo(1, within(1e-5));
        assertThat(e.cossim()).isCloseTo(1, within(1e-5));
        assertThat(e.ceSpliced()).isCloseTo(e.ceClean(), within(1e-6));
        assertThat(e.ceZeroAblation()).isGreaterThan(e.ceClean() + 0.1);
        assertThat(e.ceLossScore()).isCloseTo(1, within(1e-5));
        assertThat(e.klSpliced()).isCloseTo(0, within(1e-6));
        assertThat(e.klZeroAblation()).isGreaterThan(0.1);
        assertThat(e.klDivScore()).isCloseTo(1, within(1e-5));
        assertThat(e.l0()).isBetween(200.0, 256.0);
        assertThat(e.layer()).isEqualTo(LAYER);
        assertThat(e.texts()).isEqualTo(10);
        assertThat(e.ceTokens()).isEqualTo(e.tokens() - 10);
        assertThat(seen).hasSize(3);
        assertThat(seen.get(2).texts()).isEqualTo(10);
        assertThat(seen.get(2).totalTexts()).isEqualTo(10);
        assertThat(seen.get(2).tokens()).isEqualTo(e.tokens());
        assertThat(e.toMap()).containsKeys("ce_loss_score", "kl_div_score", "explained_variance", "l0", "l1",
                "l2_ratio", "ce_loss_without_sae", "ce_loss_with_sae", "ce_loss_with_ablation", "kl_div_with_sae",
                "kl_div_with_ablation", "dead_fraction", "dense_fraction");
        assertThat(e.toNestedMap().get("model_performance_preservation")).containsEntry("ce_loss_score",
                e.ceLossScore());
    }

    @Test
    void zeroOutputScoresZero() {
        SaeEvaluation e;
        try (Sae sae = zeroSae()) {
            e = new SaeEvaluator(lm).batchSize(5).evaluate(sae, LAYER, texts);
        }
        assertThat(e.ceSpliced()).isCloseTo(e.ceZeroAblation(), within(1e-5));
        assertThat(e.ceLossScore()).isCloseTo(0, within(1e-4));
        assertThat(e.klDivScore()).isCloseTo(0, within(1e-4));
        assertThat(e.l0()).isZero();
        assertThat(e.l1()).isZero();
        assertThat(e.deadFraction()).isEqualTo(1.0);
        assertThat(e.denseFraction()).isZero();
        assertThat(e.explainedVariance()).isLessThan(0);
        assertThat(e.featureDensity()).containsOnly(0.0);
    }

    /** Every metric recomputed the plain way, on the heap, for one batch of a random TopK SAE. */
    @Test
    void randomSaeMatchesAStraightforwardRecomputation() {
        List<String> batch = texts.subList(0, 3);
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, D, 512, 16), 11)) {
            SaeEvaluation e = new SaeEvaluator(lm).batchSize(8).evaluate(sae, LAYER, batch);

            Encodings enc = lm.tokenizer().encodeBatch(batch, 256, true, PaddingSide.RIGHT);
            int b = enc.batchSize();
            int s = enc.seqLength();
            float[] acts;
            float[] clean;
            try (LayerActivationDetector det = new LayerActivationDetector(LAYER)) {
                String id = lm.layers().registerHook(LAYER, det);
                try (InferenceResult r = lm.inference().executeInference(batch)) {
                    clean = r.logits().toFloatArray();
                    acts = det.getCaptured().toFloatArray();
                } finally {
                    lm.layers().unregisterHook(id);
                }
            }
            float[] spliced = logitsWith(new FunctionController(LAYER, sae::forward), batch);
            float[] zero = logitsWith(new FunctionController(LAYER, NDArray::zerosLike), batch);
            int vocab = clean.length / (b * s);

            List<float[]> xs = new ArrayList<>();
            double ceC = 0, ceS = 0, ceZ = 0, klS = 0, klZ = 0;
            int ceN = 0;
            for (int i = 0; i < b; i++) {
                for (int t = 0; t < s; t++) {
                    if (enc.attentionMask()[i][t] == 0) {
                        continue;
                    }
                    float[] row = new float[D];
                    System.arraycopy(acts, (i * s + t) * D, row, 0, D);
                    xs.add(row);
                    int at = (i * s + t) * vocab;
                    double[] lc = logSoftmax(clean, at, vocab);
                    double[] ls = logSoftmax(spliced, at, vocab);
                    double[] lz = logSoftmax(zero, at, vocab);
                    for (int v = 0; v < vocab; v++) {
                        klS += Math.exp(lc[v]) * (lc[v] - ls[v]);
                        klZ += Math.exp(lc[v]) * (lc[v] - lz[v]);
                    }
                    if (t + 1 < s && enc.attentionMask()[i][t + 1] == 1) {
                        int target = (int) enc.inputIds()[i][t + 1];
                        ceC -= lc[target];
                        ceS -= ls[target];
                        ceZ -= lz[target];
                        ceN++;
                    }
                }
            }
            int n = xs.size();
            float[] x = new float[n * D];
            for (int r = 0; r < n; r++) {
                System.arraycopy(xs.get(r), 0, x, r * D, D);
            }
            float[] xHat;
            float[] codes;
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray in = m.create(x, new Shape(n, D));
                codes = sae.encode(in).toFloatArray();
                xHat = sae.forward(in).toFloatArray();
            }
            double[] mean = new double[D];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < D; c++) {
                    mean[c] += x[r * D + c] / (double) n;
                }
            }
            double err = 0, var = 0, ratio = 0;
            for (int r = 0; r < n; r++) {
                double nx = 0, nh = 0;
                for (int c = 0; c < D; c++) {
                    double v = x[r * D + c];
                    double h = xHat[r * D + c];
                    err += (v - h) * (v - h);
                    var += (v - mean[c]) * (v - mean[c]);
                    nx += v * v;
                    nh += h * h;
                }
                ratio += Math.sqrt(nh / nx);
            }
            double l0 = 0, l1 = 0;
            boolean[] fired = new boolean[512];
            for (int k = 0; k < codes.length; k++) {
                if (codes[k] > 0) {
                    l0++;
                    fired[k % 512] = true;
                }
                l1 += codes[k];
            }
            int dead = 0;
            for (boolean f : fired) {
                dead += f ? 0 : 1;
            }

            assertThat(e.tokens()).isEqualTo(n);
            assertThat(e.ceTokens()).isEqualTo(ceN);
            assertThat(e.mse()).isCloseTo(err / n, within(1e-4 * err / n));
            assertThat(e.explainedVariance()).isCloseTo(1 - err / var, within(1e-4));
            assertThat(e.l2Ratio()).isCloseTo(ratio / n, within(1e-4));
            assertThat(e.l0()).isCloseTo(l0 / n, within(1e-9));
            assertThat(e.l1()).isCloseTo(l1 / n, within(1e-4 * Math.abs(l1 / n)));
            assertThat(e.deadFraction()).isCloseTo(dead / 512.0, within(1e-12));
            assertThat(e.ceClean()).isCloseTo(ceC / ceN, within(1e-4));
            assertThat(e.ceSpliced()).isCloseTo(ceS / ceN, within(1e-4));
            assertThat(e.ceZeroAblation()).isCloseTo(ceZ / ceN, within(1e-4));
            assertThat(e.klSpliced()).isCloseTo(klS / n, within(1e-4));
            assertThat(e.klZeroAblation()).isCloseTo(klZ / n, within(1e-4));
            assertThat(e.ceLossScore()).isCloseTo((ceZ - ceS) / (ceZ - ceC), within(1e-3));
            assertThat(e.klDivScore()).isCloseTo((klZ - klS) / klZ, within(1e-3));
        }
    }

    @Test
    void specialTokensAreLeftOutUnlessAsked() {
        List<String> withEos = List.of("The jury said<|endoftext|> it was fine", "Hello there");
        try (Sae sae = identitySae()) {
            SaeEvaluation without = new SaeEvaluator(lm).evaluate(sae, LAYER, withEos);
            SaeEvaluation with = new SaeEvaluator(lm).excludeSpecialTokens(false).evaluate(sae, LAYER, withEos);
            assertThat(with.tokens()).isEqualTo(without.tokens() + 1);
            assertThat(without.ceLossScore()).isCloseTo(1, within(1e-5));
            assertThat(with.ceLossScore()).isCloseTo(1, within(1e-5));
        }
    }

    @Test
    void evaluatesADatasetWithProgress() {
        List<EvalProgress> seen = new ArrayList<>();
        try (Sae sae = identitySae()) {
            SaeEvaluation fromList = new SaeEvaluator(lm).batchSize(3).evaluate(sae, LAYER, texts.subList(0, 5));
            SaeEvaluation fromData = new SaeEvaluator(lm).batchSize(3).progress(seen::add)
                    .evaluate(sae, LAYER, Datasets.fromTexts("five", texts.subList(0, 5)));
            assertThat(fromData.tokens()).isEqualTo(fromList.tokens());
            assertThat(fromData.ceClean()).isCloseTo(fromList.ceClean(), within(1e-5));
        }
        assertThat(seen).extracting(EvalProgress::texts).containsExactly(3L, 5L);
    }

    @Test
    void leavesNoArraysBehind() {
        NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, D, 512, 16), 3)) {
            SaeEvaluator evaluator = new SaeEvaluator(lm).batchSize(4);
            evaluator.evaluate(sae, LAYER, texts.subList(0, 4));
            int before = modelManager.getManagedArrays().size();
            evaluator.evaluate(sae, LAYER, texts);
            assertThatThrownBy(() -> evaluator.evaluate(sae, LAYER, List.of("<|endoftext|>")))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(modelManager.getManagedArrays().size()).isEqualTo(before);
        }
    }

    @Test
    void badInputIsAClearError() {
        try (Sae sae = identitySae(); Sae narrow = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 128, 256, 8), 1)) {
            SaeEvaluator evaluator = new SaeEvaluator(lm);
            assertThatThrownBy(() -> evaluator.evaluate(sae, "transformer.h.9", texts))
                    .isInstanceOf(UnknownLayerException.class).hasMessageContaining("transformer.h.9");
            assertThatThrownBy(() -> evaluator.evaluate(narrow, LAYER, texts))
                    .isInstanceOf(SaeException.class).hasMessageContaining("d_in=128")
                    .hasMessageContaining(LAYER).hasMessageContaining("256");
            assertThat(lm.layers().allHooks()).as("no hook left after a failed evaluation").isEmpty();
            assertThatThrownBy(() -> evaluator.evaluate(sae, LAYER, List.of()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            assertThatThrownBy(() -> evaluator.evaluate(sae, LAYER,
                    Datasets.fromTexts("some", texts).filter(t -> false)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
            assertThatThrownBy(() -> evaluator.evaluate(sae, LAYER, List.of("<|endoftext|>")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("special");
            assertThatThrownBy(() -> evaluator.batchSize(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static float[] logitsWith(FunctionController controller, List<String> batch) {
        String id = lm.layers().registerHook(LAYER, controller);
        try (InferenceResult r = lm.inference().executeInference(batch)) {
            return r.logits().toFloatArray();
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    private static double[] logSoftmax(float[] logits, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[from + i] - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = logits[from + i] - log;
        }
        return out;
    }
}
