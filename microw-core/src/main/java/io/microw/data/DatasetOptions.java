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

    /** Validates the fields. */
    public DatasetOptions {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(textColumn, "textColumn");
        Objects.requireNonNull(labelColumn, "labelColumn");
        labels = labels == null ? null : List.copyOf(labels);
    }

    /** In memory, column {@code text}, labels in column {@code label}, format from the file name, strict. */
    public static DatasetOptions defaults() {
        return new DatasetOptions(LoadingStrategy.IN_MEMORY, "text", "label", null, null, false);
    }

    public DatasetOptions withStrategy(LoadingStrategy value) {
        return new DatasetOptions(value, textColumn, labelColumn, labels, format, lenient);
    }

    public DatasetOptions withTextColumn(String value) {
        return new DatasetOptions(strategy, value, labelColumn, labels, format, lenient);
    }

    public DatasetOptions withLabelColumn(String value) {
        return new DatasetOptions(strategy, textColumn, value, labels, format, lenient);
    }

    /** The label set, in label-index order; a row with another label is a bad row. Required when streaming. */
    public DatasetOptions withLabels(List<String> value) {
        return new DatasetOptions(strategy, textColumn, labelColumn, value, format, lenient);
    }

    /** Reads the file as {@code value} whatever its name. */
    public DatasetOptions withFormat(DataFormat value) {
        return new DatasetOptions(strategy, textColumn, labelColumn, labels, value, lenient);
    }

    /** Lenient mode: skip bad rows (and count them, see {@link TextDataset#skippedRows()}) instead of failing. */
    public DatasetOptions withLenient(boolean value) {
        return new DatasetOptions(strategy, textColumn, labelColumn, labels, format, value);
    }
}
