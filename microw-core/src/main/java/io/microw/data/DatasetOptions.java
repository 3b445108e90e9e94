package io.microw.data;

import java.util.List;
import java.util.Objects;

/**
 * How a dataset file is read: loading strategy (default {@link LoadingStrategy#IN_MEMORY}), the text column
 * (default {@code text}), the label column of a classification dataset (default {@code label}) and its label set
 * (default: the labels found), the format (default: from the file name), and lenient mode (default off: the first
 * bad row is an error; on: bad rows are skipped and counted). Immutable; each {@code with...} returns a changed copy.
 */
public record DatasetOptions(LoadingStrategy strategy, String textColumn, String labelColumn, List<String> labels,
        DataFormat format, boolean lenient) {

    /**
     * Validates the fields.
     *
     * @param strategy    how the rows are loaded (in memory, on disk, streaming)
     * @param textColumn  the column holding the texts
     * @param labelColumn the column holding the labels (classification datasets)
     * @param labels      the label set in label-index order, or {@code null} for the labels found (copied)
     * @param format      the file format, or {@code null} to take it from the file name
     * @param lenient     whether bad rows are skipped and counted instead of failing
     */
    public DatasetOptions {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(textColumn, "textColumn");
        Objects.requireNonNull(labelColumn, "labelColumn");
        labels = labels == null ? null : List.copyOf(labels);
    }

    /**
     * In memory, column {@code text}, labels in column {@code label}, format from the file name, strict.
     *
     * @return the default options
     */
    public static DatasetOptions defaults() {
        return new DatasetOptions(LoadingStrategy.IN_MEMORY, "text", "label", null, null, false);
    }

    /**
     * These options with another loading strategy.
     *
     * @param value the loading strategy
     * @return the changed copy
     */
    public DatasetOptions withStrategy(LoadingStrategy value) {
        return new DatasetOptions(value, textColumn, labelColumn, labels, format, lenient);
    }

    /**
     * These options with another text column.
     *
     * @param value the text column's name
     * @return the changed copy
     */
    public DatasetOptions withTextColumn(String value) {
        return new DatasetOptions(strategy, value, labelColumn, labels, format, lenient);
    }

    /**
     * These options with another label column.
     *
     * @param value the label column's name
     * @return the changed copy
     */
    public DatasetOptions withLabelColumn(String value) {
        return new DatasetOptions(strategy, textColumn, value, labels, format, lenient);
    }

    /**
     * The label set, in label-index order; a row with another label is a bad row. Required when streaming.
     *
     * @param value the label set
     * @return the changed copy
     */
    public DatasetOptions withLabels(List<String> value) {
        return new DatasetOptions(strategy, textColumn, labelColumn, value, format, lenient);
    }

    /**
     * Reads the file as {@code value} whatever its name.
     *
     * @param value the format
     * @return the changed copy
     */
    public DatasetOptions withFormat(DataFormat value) {
        return new DatasetOptions(strategy, textColumn, labelColumn, labels, value, lenient);
    }

    /**
     * Lenient mode: skip bad rows (and count them, see {@link TextDataset#skippedRows()}) instead of failing.
     *
     * @param value whether bad rows are skipped
     * @return the changed copy
     */
    public DatasetOptions withLenient(boolean value) {
        return new DatasetOptions(strategy, textColumn, labelColumn, labels, format, value);
    }
}
