package io.microw.nn;

import io.microw.nn.internal.AttentionMasks;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class AttentionCoreTest {

    private static final int BATCH = 2;
    private static final int HEADS = 6;
    private static final int KV_HEADS = 2;
    private static final int SEQ = 3;
    private static final int DIM = 4;
    private static final float SCALE = 0.5f;

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Causal bias [batch, 1, seq, seq], with the first key of batch row 1 masked as padding. */
    private static float[] bias() {
        float[] b = new float[BATCH * SEQ * SEQ];
        for (int n = 0; n < BATCH; n++) {
            for (int i = 0; i < SEQ; i++) {
                for (int j = 0; j < SEQ; j++) {
                    boolean visible = j <= i && !(n == 1 && j == 0 && i > 0);
                    b[(n * SEQ + i) * SEQ + j] = visible ? 0f : AttentionMasks.MASKED;
                }
            }
        }
        return b;
    }

    @Test
    void groupedQueryHeadsReadTheirSharedKeyAndValueHead() {
        Random r = new Random(7);
        float[] q = random(r, BATCH * HEADS * SEQ * DIM);
        float[] k = random(r, BATCH * KV_HEADS * SEQ * DIM);
        float[] v = random(r, BATCH * KV_HEADS * SEQ * DIM);
        float[] bias = bias();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray pattern = AttentionCore.pattern(m.create(q, new Shape(BATCH, HEADS, SEQ, DIM)),
                    m.create(k, new Shape(BATCH, KV_HEADS, SEQ, DIM)), m.create(bias, new Shape(BATCH, 1, SEQ, SEQ)),
                    SCALE, 0f);
            NDArray z = AttentionCore.weigh(pattern, m.create(v, new Shape(BATCH, KV_HEADS, SEQ, DIM)));
            assertThat(pattern.getShape()).isEqualTo(new Shape(BATCH, HEADS, SEQ, SEQ));
            assertThat(z.getShape()).isEqualTo(new Shape(BATCH, HEADS, SEQ, DIM));
            float[] p = pattern.toFloatArray();
            float[] zs = z.toFloatArray();
            int group = HEADS / KV_HEADS;
            for (int n = 0; n < BATCH; n++) {
                for (int h = 0; h < HEADS; h++) {
                    int kv = h / group;
                    for (int i = 0; i < SEQ; i++) {
                        double[] w = new double[SEQ];
                        double sum = 0;
                        for (int j = 0; j < SEQ; j++) {
                            double s = 0;
                            for (int d = 0; d < DIM; d++) {
                                s += q[((n * HEADS + h) * SEQ + i) * DIM + d] * k[((n * KV_HEADS + kv) * SEQ + j) * DIM + d];
                            }
                            w[j] = Math.exp(s * SCALE + bias[(n * SEQ + i) * SEQ + j]);
                            sum += w[j];
                        }
                        for (int j = 0; j < SEQ; j++) {
                            assertThat((double) p[((n * HEADS + h) * SEQ + i) * SEQ + j])
                                    .as("pattern[%d,%d,%d,%d]", n, h, i, j).isCloseTo(w[j] / sum, offset(1e-5));
                        }
                        for (int d = 0; d < DIM; d++) {
                            double expected = 0;
                            for (int j = 0; j < SEQ; j++) {
                                expected += w[j] / sum * v[((n * KV_HEADS + kv) * SEQ + j) * DIM + d];
                            }
                            assertThat((double) zs[((n * HEADS + h) * SEQ + i) * DIM + d])
                                    .as("z[%d,%d,%d,%d]", n, h, i, d).isCloseTo(expected, offset(1e-5));
                        }
                    }
                }
            }
        }
    }

    @Test
    void keyHeadsThatDoNotDivideTheQueryHeadsAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.zeros(new Shape(1, 6, SEQ, DIM));
            NDArray k = m.zeros(new Shape(1, 4, SEQ, DIM));
            assertThatThrownBy(() -> AttentionCore.pattern(q, k, m.zeros(new Shape(1, 1, SEQ, SEQ)), SCALE, 0f))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("6 query heads cannot share 4 key/value heads");
        }
    }
}
