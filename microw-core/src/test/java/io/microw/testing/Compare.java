package io.microw.testing;

import ai.djl.ndarray.NDArray;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Compares model tensors with reference tensors on real (unpadded) positions only. */
public final class Compare {

    private Compare() {
    }

    /**
     * Largest absolute difference over rows b and positions s where mask[b][s] is 1. Tensors are
     * [batch, seq, ...] or, with {@code headsFirst}, [batch, heads, seq, ...]. A reference with batch 1 is
     * compared with every row.
     */
    public static double maxDiff(float[] actual, long[] actualShape, Fixture.Ref expected, long[][] mask,
                                 boolean headsFirst) {
        long[] es = expected.shape();
        assertThat(actualShape.length).as("rank of " + Arrays.toString(actualShape)).isEqualTo(es.length);
        for (int d = 1; d < es.length; d++) {
            assertThat(actualShape[d]).as("dim " + d + " of " + Arrays.toString(actualShape) + " vs "
                    + Arrays.toString(es)).isEqualTo(es[d]);
        }
        int batch = (int) actualShape[0];
        int inner = 1;
        for (int d = 1; d < actualShape.length; d++) {
            inner *= (int) actualShape[d];
        }
        int heads = headsFirst ? (int) actualShape[1] : 1;
        int seq = (int) actualShape[headsFirst ? 2 : 1];
        int tail = inner / heads / seq;
        double max = 0;
        int compared = 0;
        for (int b = 0; b < batch; b++) {
            int eb = es[0] == 1 ? 0 : b;
            for (int h = 0; h < heads; h++) {
                for (int s = 0; s < seq; s++) {
                    if (mask != null && mask[b][s] == 0) {
                        continue;
                    }
                    int a0 = b * inner + (h * seq + s) * tail;
                    int e0 = eb * inner + (h * seq + s) * tail;
                    for (int t = 0; t < tail; t++) {
                        max = Math.max(max, Math.abs(actual[a0 + t] - expected.values()[e0 + t]));
                        compared++;
                    }
                }
            }
        }
        assertThat(compared).as("values compared").isGreaterThan(0);
        return max;
    }

    public static double maxDiff(NDArray actual, Fixture.Ref expected, long[][] mask) {
        return maxDiff(actual.toFloatArray(), actual.getShape().getShape(), expected, mask, false);
    }
}
