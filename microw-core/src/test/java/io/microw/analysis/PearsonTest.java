package io.microw.analysis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** {@link Pearson} on tables whose correlation is known by hand. */
class PearsonTest {

    @Test
    void knownCorrelationsOverAllCells() {
        // x = 1, 2, 3 and y = 1, 3, 2: deviations (-1, 0, 1) and (-1, 1, 0), so r = 1 / (√2 · √2) = 0.5
        assertThat(Pearson.of(new float[][] {{1, 2}, {3}}, new float[][] {{1, 3}, {2}})).isCloseTo(0.5, within(1e-12));
        assertThat(Pearson.of(new float[][] {{1, 2, 3}}, new float[][] {{10, 20, 30}})).isCloseTo(1, within(1e-12));
        assertThat(Pearson.of(new float[][] {{1, 2}, {3, 4}}, new float[][] {{-2, -4}, {-6, -8}}))
                .isCloseTo(-1, within(1e-12));
        // shifting and scaling one table leaves r alone
        assertThat(Pearson.of(new float[][] {{1, 2}, {3}}, new float[][] {{7 + 2 * 1, 7 + 2 * 3}, {7 + 2 * 2}}))
                .isCloseTo(0.5, within(1e-12));
    }

    @Test
    void aConstantTableHasNoCorrelation() {
        assertThat(Pearson.of(new float[][] {{2, 2, 2}}, new float[][] {{1, 2, 3}})).isNaN();
        assertThat(Pearson.of(new float[][] {{1, 2, 3}}, new float[][] {{0, 0, 0}})).isNaN();
    }

    @Test
    void tablesOfDifferentShapesAreRefused() {
        assertThatThrownBy(() -> Pearson.of(new float[][] {{1, 2}}, new float[][] {{1, 2}, {3, 4}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tables of 1 and 2 rows");
        assertThatThrownBy(() -> Pearson.of(new float[][] {{1, 2}}, new float[][] {{1, 2, 3}}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0 has 2 and 3 cells");
    }
}
