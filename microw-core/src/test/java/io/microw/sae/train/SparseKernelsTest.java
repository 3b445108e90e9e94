package io.microw.sae.train;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The sparse kernels' building blocks give the sums of the plain loops they replace, to the bit. */
class SparseKernelsTest {

    @Test
    void rowAdderAddsFourRowsAPassInTheOrderOfOneAtATime() {
        Random random = new Random(3);
        int d = 77; // not a multiple of any vector width
        SparseKernels.RowAdder adder = new SparseKernels.RowAdder();
        for (int rows = 0; rows <= 9; rows++) {
            float[] start = gaussian(random, d);
            float[] expected = start.clone();
            float[] actual = start.clone();
            adder.begin(actual);
            for (int r = 0; r < rows; r++) {
                float s = (float) random.nextGaussian() * 10;
                float[] row = gaussian(random, d);
                for (int c = 0; c < d; c++) {
                    expected[c] += s * row[c];
                }
                adder.add(s, row);
            }
            adder.end();
            assertThat(actual).as("%d rows", rows).containsExactly(expected);
        }
    }

    @Test
    void sumOfProductsIsTheSumOfTheProducts() {
        float[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        float[] b = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, -1};
        assertThat(SparseKernels.sumOfProducts(a, b, new float[a.length])).isEqualTo(2 * 55 - 11);
        assertThat(SparseKernels.sum(a)).isEqualTo(66f);
    }

    static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
