package io.microw.sae.train;

import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The sparse kernels' gradients equal the dense matrix products' on the same batch and weights. */
class SparseGradientTest {

    static Stream<SaeArchitecture> sparse() {
        return Stream.of(SaeArchitecture.TOPK, SaeArchitecture.BATCH_TOPK, SaeArchitecture.STANDARD);
    }

    private static final int D_IN = 24;
    private static final int D_SAE = 96;
    private static final int ROWS = 40;

    @ParameterizedTest
    @MethodSource("sparse")
    void sparseGradientsEqualDense(SaeArchitecture architecture) {
        float[][] x = randomBatch(ROWS, D_IN, 7);
        boolean[] dead = deadEveryThird();
        try (Sae sae = saeWithBiases(architecture);
             Workers workers = new Workers(2)) {
            Grad sparse = gradients(sae, workers, x, dead, SaeTrainingConfig.CodePath.SPARSE, false);
            Grad deferred = gradients(sae, workers, x, dead, SaeTrainingConfig.CodePath.SPARSE, true);
            Grad dense = gradients(sae, workers, x, dead, SaeTrainingConfig.CodePath.DENSE, false);
            assertThat(sparse.loss).isCloseTo(dense.loss, org.assertj.core.data.Offset.offset(1e-4 * Math.abs(dense.loss)));
            assertClose(sparse.wEnc, dense.wEnc);
            assertClose(sparse.wDec, dense.wDec);
            assertClose(sparse.bEnc, dense.bEnc);
            assertClose(sparse.bDec, dense.bDec);
            assertThat(maxAbs(sparse.wEnc)).isGreaterThan(1e-4f);
            assertThat(maxAbs(sparse.bDec)).isGreaterThan(1e-5f);
            // gradients left as sparse terms (TopK family only) are the same numbers, formed in the same order
            assertThat(deferred.wEnc).containsExactly(sparse.wEnc);
            assertThat(deferred.wDec).containsExactly(sparse.wDec);
        }
    }

    @ParameterizedTest
    @MethodSource("sparse")
    void adamFormsDeferredGradientsAsTheScatteredOnes(SaeArchitecture architecture) {
        float[][] x = randomBatch(ROWS, D_IN, 9);
        boolean[] dead = deadEveryThird();
        try (Sae sae = saeWithBiases(architecture);
             Workers workers = new Workers(2)) {
            float[][] updated = new float[2][];
            for (int defer = 0; defer < 2; defer++) {
                TrainingModel model = new TrainingModel(sae);
                new GradientStep(model, workers, defer == 1).run(x, dead, 1.0 / 32, 6, 0.5, 0.001,
                        SaeTrainingConfig.CodePath.SPARSE);
                for (ParamTensor p : model.trainable()) {
                    p.adam(workers, 1e-3f, 0.9f, 0.999f, 1e-8f, 1, 1f, p == model.wDec);
                }
                updated[defer] = concat(model.wEncT.values(), model.wDec.values());
                assertThat(model.wDec.gradient()).as("gradient after the update").containsOnly(0f);
            }
            assertThat(updated[1]).containsExactly(updated[0]);
        }
    }

    private static boolean[] deadEveryThird() {
        boolean[] dead = new boolean[D_SAE];
        for (int i = 0; i < D_SAE; i += 3) {
            dead[i] = true;
        }
        return dead;
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** An SAE with non-zero biases, so that every gradient path carries signal. */
    private static Sae saeWithBiases(SaeArchitecture architecture) {
        int k = architecture == SaeArchitecture.STANDARD ? 0 : 5;
        Sae sae = Sae.create(SaeConfig.of(architecture, D_IN, D_SAE, k), 3);
        float[] bEnc = new float[D_SAE];
        float[] bDec = new float[D_IN];
        Random r = new Random(5);
        for (int i = 0; i < D_SAE; i++) {
            bEnc[i] = (float) (r.nextGaussian() * 0.1);
        }
        for (int i = 0; i < D_IN; i++) {
            bDec[i] = (float) (r.nextGaussian() * 0.1);
        }
        sae.setParameter("b_enc", bEnc);
        sae.setParameter("b_dec", bDec);
        return sae;
    }

    private record Grad(double loss, float[] wEnc, float[] wDec, float[] bEnc, float[] bDec) {
    }

    private static Grad gradients(Sae sae, Workers workers, float[][] x, boolean[] dead,
                                  SaeTrainingConfig.CodePath path, boolean defer) {
        TrainingModel model = new TrainingModel(sae);
        GradientStep step = new GradientStep(model, workers, defer);
        GradientStep.Result r = step.run(x, dead, 1.0 / 32, 6, 0.5, 0.001, path);
        assertThat(r.usedSparsePath()).isEqualTo(path == SaeTrainingConfig.CodePath.SPARSE);
        return new Grad(r.loss(), model.wEncT.gradient(), model.wDec.gradient(), model.bEnc.gradient(),
                model.bDec.gradient());
    }

    private static void assertClose(float[] actual, float[] expected) {
        float scale = Math.max(maxAbs(expected), 1e-6f);
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i]) / scale).as("element %d: %s vs %s", i, actual[i], expected[i])
                    .isLessThan(1e-4f);
        }
    }

    private static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static float[][] randomBatch(int rows, int d, long seed) {
        Random r = new Random(seed);
        float[][] x = new float[rows][d];
        for (float[] row : x) {
            for (int c = 0; c < d; c++) {
                row[c] = (float) r.nextGaussian();
            }
        }
        return x;
    }
}
