package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LogitMetricTest {

    /** Two rows, three positions, a vocabulary of four; row 1's last position is padding. */
    private static final float[] LOGITS = {
            0, 0, 0, 0, /**/ 9, 9, 9, 9, /**/ 1, 2, 3, 4,
            0, 0, 0, 0, /**/ 5, -1, 0, 2, /**/ 7, 7, 7, 7};
    private static final long[][] MASK = {{1, 1, 1}, {1, 1, 0}};

    @Test
    void logitDifferenceIsTakenAtEachRowsLastRealTokenAndSummed() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(LOGITS, new Shape(2, 3, 4));
            // row 0 at position 2: 4 - 2; row 1 at position 1: 2 - (-1)
            assertThat(LogitMetric.logitDiff(3, 1).apply(logits, MASK)).isEqualTo(5f);
            // without a mask every row's last position counts: (4 - 2) + (7 - 7)
            assertThat(LogitMetric.logitDiff(3, 1).apply(logits, null)).isEqualTo(2f);
            LogitMetric custom = (l, mask) -> l.sum().getFloat();
            assertThat(custom.apply(logits, MASK)).isEqualTo(36 + 10 + 6 + 28f);
        }
    }

    @Test
    void logProbabilityIsTheLogSoftmaxAtTheLastRealToken() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(LOGITS, new Shape(2, 3, 4));
            double row0 = 1 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(4));
            double row1 = 5 - Math.log(Math.exp(5) + Math.exp(-1) + Math.exp(0) + Math.exp(2));
            assertThat((double) LogitMetric.logProb(0).apply(logits, MASK)).isCloseTo(row0 + row1, within(1e-5));
            assertThatThrownBy(() -> LogitMetric.logProb(4).apply(logits, MASK))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token 4")
                    .hasMessageContaining("4 tokens");
        }
    }

    @Test
    void perRowValuesAreEachRowsMetricAloneForBuiltInAndCustomMetrics() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(LOGITS, new Shape(2, 3, 4));
            assertThat(LogitMetric.logitDiff(3, 1).perRow(logits, MASK)).containsExactly(2f, 3f);
            assertThat(LogitMetric.logitDiff(3, 1).perRow(logits, null)).containsExactly(2f, 0f);
            double row1 = 5 - Math.log(Math.exp(5) + Math.exp(-1) + Math.exp(0) + Math.exp(2));
            assertThat((double) LogitMetric.logProb(0).perRow(logits, MASK)[1]).isCloseTo(row1, within(1e-5));
            LogitMetric custom = (l, mask) -> l.sum().getFloat();
            assertThat(custom.perRow(logits, MASK)).containsExactly(36 + 10f, 6 + 28f);
            assertThat(custom.readsLastTokenOnly()).isFalse();
            assertThat(LogitMetric.logitDiff(3, 1).readsLastTokenOnly()).isTrue();
            LogitMetric marked = LogitMetric.atLastToken(LogitMetric.logitDiff(3, 1));
            assertThat(marked.perRow(logits, MASK)).containsExactly(2f, 3f);
            assertThat(marked.tensor(logits, MASK).getFloat()).isEqualTo(5f);
            assertThatThrownBy(() -> LogitMetric.logitDiff(3, 9).perRow(logits, null))
                    .hasMessageContaining("token 9").hasMessageContaining("4 tokens");
        }
    }
}
