package io.microw.sae;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** ReconstructionStats on batches worked out by hand, held flat or one array per row. */
class ReconstructionStatsTest {

    // inputs (1, 0) and (0, 1); the second is reconstructed as (0, 0)
    private static final float[][] X = {{1f, 0f}, {0f, 1f}};
    private static final float[][] X_HAT = {{1f, 0f}, {0f, 0f}};

    @Test
    void rowsGiveTheHandWorkedMetrics() {
        ReconstructionStats stats = new ReconstructionStats();
        stats.addReconstruction(X, X_HAT);
        // squared error 0 + 1 over 2 tokens; inputs' squared distance from their mean (0.5, 0.5): 0.5 + 0.5
        assertThat(stats.tokens()).isEqualTo(2);
        assertThat(stats.mse()).isCloseTo(0.5, within(1e-12));
        assertThat(stats.explainedVariance()).isCloseTo(0.0, within(1e-12));
        // ‖x̂‖ / ‖x‖ per token: 1 and 0
        assertThat(stats.l2Ratio()).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void flatAndRowBatchesAgree() {
        ReconstructionStats rows = new ReconstructionStats();
        rows.addReconstruction(X, X_HAT);
        ReconstructionStats flat = new ReconstructionStats();
        flat.addReconstruction(new float[] {1f, 0f, 0f, 1f}, new float[] {1f, 0f, 0f, 0f}, 2, 2);
        assertThat(flat.toMap()).isEqualTo(rows.toMap());
    }

    @Test
    void mismatchedRowsAreClearErrors() {
        ReconstructionStats stats = new ReconstructionStats();
        assertThatThrownBy(() -> stats.addReconstruction(X, new float[][] {{1f, 0f}}))
                .isInstanceOf(SaeException.class).hasMessageContaining("got 1 for 2");
        assertThatThrownBy(() -> stats.addReconstruction(X, new float[][] {{1f, 0f}, {0f}}))
                .isInstanceOf(SaeException.class).hasMessageContaining("row 1: expected 2 values, got 2 and 1");
    }
}
