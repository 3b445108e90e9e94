package io.microw.sae.train;

import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The sparse kernels' gradients equal the dense matrix products' on the same batch and weights. */
class SparseGradientTest {

    static Stream<SaeArchitecture> sparse() {
        return Stream.of(SaeArchitecture.TOPK, SaeArchitecture.BATCH_TOPK, SaeArchitecture.STANDARD);
    }

    @ParameterizedTest
    @MethodSource("sparse")
    void sparseGradientsEqualDense(SaeArchitecture architecture) {
        int dIn = 24;
        int dSae = 96;
        int rows = 40;
        int k = architecture == SaeArchitecture.STANDARD ? 0 : 5;
        float[][] x = randomBatch(rows, dIn, 7);
        boolean[] dead = new boolean[dSae];
        for (int i = 0; i < dSae; i += 3) {
            dead[i] = true;
        }
        try (Sae sae = Sae.create(SaeConfig.of(architecture, dIn, dSae, k), 3);
             Workers workers = new Workers(2)) {
            // non-zero biases so every gradient path carries signal
            float[] bEnc = new float[dSae];
            float[] bDec = new float[dIn];
            Random r = new Random(5);
            for (int i = 0; i < dSae; i++) {
                bEnc[i] = (float) (r.nextGaussian() * 0.1);
            }
            for (int i = 0; i < dIn; i++) {
                bDec[i] = (float) (r.nextGaussian() * 0.1);
            }
            sae.setParameter("b_enc", bEnc);
            sae.setParameter("b_dec", bDec);
            Grad sparse = gradients(sae, workers, x, dead, SaeTrainingConfig.CodePath.SPARSE);
            Grad dense = gradients(sae, workers, x, dead, SaeTrainingConfig.CodePath.DENSE);
            assertThat(sparse.loss).isCloseTo(dense.loss, org.assertj.core.data.Offset.offset(1e-4 * Math.abs(dense.loss)));
            assertClose(sparse.wEnc, dense.wEnc);
            assertClose(sparse.wDec, dense.wDec);
            assertClose(sparse.bEnc, dense.bEnc);
            assertClose(sparse.bDec, dense.bDec);
            assertThat(maxAbs(sparse.wEnc)).isGreaterThan(1e-4f);
            assertThat(maxAbs(sparse.bDec)).isGreaterThan(1e-5f);
        }
    }

    private record Grad(double loss, float[] wEnc, float[] wDec, float[] bEnc, float[] bDec) {
    }

    private static Grad gradients(Sae sae, Workers workers, float[][] x, boolean[] dead,
                                  SaeTrainingConfig.CodePath path) {
        TrainingModel model = new TrainingModel(sae);
        GradientStep step = new GradientStep(model, workers);
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
