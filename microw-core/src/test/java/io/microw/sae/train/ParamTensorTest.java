package io.microw.sae.train;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Adam with unit-norm rows, against the update written out step by step; the engine's copy of the values. */
class ParamTensorTest {

    private static final float LR = 1e-2f;
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPS = 1e-8f;

    @Test
    void unitRowAdamIsThePlainUpdateOfTheOrthogonalGradientThenRenormalised() {
        Random random = new Random(5);
        int rows = 9;
        int cols = 40;
        float[] init = SparseKernelsTest.gaussian(random, rows * cols);
        for (int c = 0; c < cols; c++) {
            init[3 * cols + c] = 0f; // a zero row with no gradient stays zero
        }
        ParamTensor p = new ParamTensor("w_dec", rows, cols, init);
        float[][] w = split(p.values(), rows, cols);
        float[][] m = new float[rows][cols];
        float[][] v = new float[rows][cols];
        try (Workers workers = new Workers(2)) {
            for (int step = 1; step <= 3; step++) {
                float[][] g = split(SparseKernelsTest.gaussian(random, rows * cols), rows, cols);
                g[3] = new float[cols];
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(g[r], 0, p.grad[r], 0, cols);
                }
                float clip = 0.5f;
                p.adam(workers, LR, BETA1, BETA2, EPS, step, clip, true);
                for (int r = 0; r < rows; r++) {
                    referenceUnitRowAdam(w[r], g[r], m[r], v[r], step, clip);
                }
                for (int r = 0; r < rows; r++) {
                    assertThat(p.data[r]).as("step %d row %d", step, r).containsExactly(w[r]);
                    assertThat(p.grad[r]).containsOnly(0f);
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            for (float x : p.data[r]) {
                norm += x * x;
            }
            assertThat(Math.sqrt(norm)).as("row %d", r).isCloseTo(r == 3 ? 0 : 1, within(1e-5));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theEngineViewFollowsAdamRowByRowAndAnyAnnouncedChange(boolean unitRows) {
        Random random = new Random(9);
        int rows = 11;
        int cols = 24;
        ParamTensor p = new ParamTensor(unitRows ? "W_dec" : "W_enc", rows, cols,
                SparseKernelsTest.gaussian(random, rows * cols));
        try (Workers workers = new Workers(2); NDManager manager = NDManager.newBaseManager()) {
            assertThat(p.view(manager).toFloatArray()).containsExactly(p.values());
            for (int step = 1; step <= 2; step++) {
                float[] g = SparseKernelsTest.gaussian(random, rows * cols);
                p.addGradient(g);
                p.adam(workers, LR, BETA1, BETA2, EPS, step, 1f, unitRows);
                assertThat(p.view(manager).toFloatArray()).as("after step %d", step).containsExactly(p.values());
            }
            p.data[4][7] = 42f;
            p.valuesChanged();
            assertThat(p.view(manager).toFloatArray()).as("after a direct write").containsExactly(p.values());
            p.restore(SparseKernelsTest.gaussian(random, rows * cols), new float[rows * cols], new float[rows * cols]);
            assertThat(p.view(manager).toFloatArray()).as("after a restore").containsExactly(p.values());
        }
    }

    /** The former three-step form: remove the component along the row, PyTorch's Adam, scale to unit norm. */
    private static void referenceUnitRowAdam(float[] w, float[] g, float[] m, float[] v, long step, float clip) {
        float[] scratch = new float[w.length];
        float norm = SparseKernels.sumOfProducts(w, w, scratch);
        if (norm != 0) {
            float f = SparseKernels.sumOfProducts(w, g, scratch) / norm;
            for (int i = 0; i < g.length; i++) {
                g[i] = g[i] - f * w[i];
            }
        }
        float stepSize = (float) (LR / (1 - Math.pow(BETA1, step)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(BETA2, step));
        for (int i = 0; i < w.length; i++) {
            float gi = g[i] * clip;
            m[i] = BETA1 * m[i] + (1 - BETA1) * gi;
            v[i] = BETA2 * v[i] + (1 - BETA2) * gi * gi;
            w[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) / bc2Sqrt + EPS);
        }
        float updated = SparseKernels.sumOfProducts(w, w, scratch);
        if (updated != 0) {
            float inv = (float) (1 / Math.sqrt(updated));
            for (int i = 0; i < w.length; i++) {
                w[i] = w[i] * inv;
            }
        }
    }

    private static float[][] split(float[] flat, int rows, int cols) {
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }
}
