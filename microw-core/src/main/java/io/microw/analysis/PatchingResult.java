package io.microw.analysis;

import java.util.List;

/**
 * The result of an activation-patching sweep: the metric of the corrupted run with each cell patched from the clean
 * run, as a table, and the two unpatched metrics to normalise it with.
 *
 * @param values        the metric per (row, column) cell, e.g. [layers][positions]
 * @param rowLabels     one label per row, e.g. {@code blocks.3.hook_resid_pre}
 * @param columnLabels  one label per column, e.g. {@code position 5} or {@code head 2}
 * @param cleanMetric   the metric of the clean run
 * @param corruptMetric the metric of the corrupted run, unpatched
 */
public record PatchingResult(float[][] values, List<String> rowLabels, List<String> columnLabels, float cleanMetric,
                             float corruptMetric) {

    /**
     * A cell's share of the way from the corrupted to the clean metric: 0 where patching changed nothing, 1 where it
     * restored the clean run's metric.
     *
     * @param row    the row
     * @param column the column
     * @return (value − corrupt) / (clean − corrupt)
     */
    public float restored(int row, int column) {
        return (values[row][column] - corruptMetric) / (cleanMetric - corruptMetric);
    }
}
