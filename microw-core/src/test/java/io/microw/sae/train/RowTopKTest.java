package io.microw.sae.train;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RowTopK picks, per row, the same columns and values as a full sort of value + offset. */
class RowTopKTest {

    private static final int ROWS = 37;
    private static final int N = 300;

    @Test
    void picksTheLargestOfValuePlusOffsetAsAFullSortDoes() {
        Random random = new Random(11);
        FloatBuffer values = randomValues(random);
        float[] offset = new float[N];
        for (int i = 0; i < N; i++) {
            offset[i] = i % 7 == 0 ? Float.NEGATIVE_INFINITY : (float) random.nextGaussian();
        }
        for (int k : new int[] {1, 5, 32}) {
            for (boolean relu : new boolean[] {true, false}) {
                int[] latent = new int[(ROWS + 2) * k];
                float[] value = new float[(ROWS + 2) * k];
                try (Workers workers = new Workers(2)) {
                    RowTopK.select(workers, values, offset, ROWS, k, relu, latent, value, 2);
                }
                for (int b = 0; b < ROWS; b++) {
                    int row = b;
                    Integer[] order = IntStream.range(0, N).boxed().toArray(Integer[]::new);
                    Arrays.sort(order, Comparator.comparingDouble(i -> -(values.get(row * N + i) + offset[i])));
                    int[] expected = Arrays.stream(order).limit(k).mapToInt(Integer::intValue).sorted().toArray();
                    int[] got = Arrays.copyOfRange(latent, (b + 2) * k, (b + 3) * k);
                    int[] sortedGot = got.clone();
                    Arrays.sort(sortedGot);
                    assertThat(sortedGot).as("row %d, k %d", b, k).containsExactly(expected);
                    for (int j = 0; j < k; j++) {
                        float raw = values.get(row * N + got[j]) + offset[got[j]];
                        assertThat(value[(b + 2) * k + j]).isEqualTo(relu ? Math.max(raw, 0f) : raw);
                    }
                }
                assertThat(Arrays.copyOf(latent, 2 * k)).as("rows before firstRow untouched").containsOnly(0);
            }
        }
    }

    @Test
    void wideRowsRuledOutInBulkGiveTheSameAsAFullSort() {
        // wide enough for the threshold path (many blocks per kept value), with columns left out, a row of equal
        // values, and a row holding a NaN
        int rows = 6;
        int n = 5000;
        int k = 16;
        Random random = new Random(17);
        FloatBuffer values = ByteBuffer.allocateDirect(Float.BYTES * rows * n).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < rows * n; i++) {
            values.put(i, (float) random.nextGaussian());
        }
        for (int i = 0; i < n; i++) {
            values.put(3 * n + i, 0.5f);
        }
        values.put(4 * n + 123, Float.NaN);
        float[] offset = new float[n];
        for (int i = 0; i < n; i++) {
            offset[i] = i % 5 == 0 ? Float.NEGATIVE_INFINITY : (float) (0.1 * random.nextGaussian());
        }
        int[] latent = new int[rows * k];
        float[] value = new float[rows * k];
        try (Workers workers = new Workers(2)) {
            RowTopK.select(workers, values, offset, rows, k, false, latent, value, 0);
        }
        for (int b = 0; b < rows; b++) {
            int row = b;
            Integer[] order = IntStream.range(0, n).filter(i -> !Float.isNaN(values.get(row * n + i))).boxed()
                    .toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble(i -> -(values.get(row * n + i) + offset[i])));
            float[] expected = new float[k];
            float[] got = Arrays.copyOfRange(value, b * k, (b + 1) * k);
            for (int j = 0; j < k; j++) {
                expected[j] = values.get(row * n + order[j]) + offset[order[j]];
                int column = latent[b * k + j];
                assertThat(offset[column]).as("row %d picks a column left out", b).isFinite();
                assertThat(value[b * k + j]).as("row %d, column %d", b, column)
                        .isEqualTo(values.get(row * n + column) + offset[column]);
            }
            Arrays.sort(expected);
            Arrays.sort(got);
            assertThat(got).as("row %d", b).containsExactly(expected);
            assertThat(Arrays.stream(latent, b * k, (b + 1) * k).distinct().count()).as("row %d: distinct columns", b)
                    .isEqualTo(k);
        }
    }

    @Test
    void theResultDoesNotDependOnTheThreads() {
        FloatBuffer values = randomValues(new Random(3));
        float[] offset = new float[N];
        int k = 8;
        int[][] latent = new int[2][ROWS * k];
        float[][] value = new float[2][ROWS * k];
        for (int t = 0; t < 2; t++) {
            try (Workers workers = new Workers(t + 1)) {
                RowTopK.select(workers, values, offset, ROWS, k, true, latent[t], value[t], 0);
            }
        }
        assertThat(latent[1]).containsExactly(latent[0]);
        assertThat(value[1]).containsExactly(value[0]);
    }

    @Test
    void badKOrTooFewValuesAreClearErrors() {
        FloatBuffer values = randomValues(new Random(1));
        try (Workers workers = new Workers(1)) {
            assertThatThrownBy(() -> RowTopK.select(workers, values, new float[N], ROWS, N + 1, true,
                    new int[0], new float[0], 0)).hasMessageContaining("k must be in [1, 300], got 301");
            assertThatThrownBy(() -> RowTopK.select(workers, values, new float[N], ROWS + 1, 3, true,
                    new int[0], new float[0], 0)).hasMessageContaining("expected 38 x 300 values, got 11100");
        }
    }

    private static FloatBuffer randomValues(Random random) {
        FloatBuffer values = ByteBuffer.allocateDirect(Float.BYTES * ROWS * N).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (int i = 0; i < ROWS * N; i++) {
            values.put(i, (float) random.nextGaussian());
        }
        return values;
    }
}
