package io.microw.data;

import java.nio.file.Path;
import java.util.List;

/**
 * The rows of one local file or folder: its records in its format, the text (and label) taken from the named
 * columns. Bad rows fail the pass, or in lenient mode are skipped and counted in {@link #skipped()}.
 */
final class FileSource implements RowSource {

    private final Path path;
    private final DataFormat format;
    private final String textColumn;
    private final String labelColumn;
    private final List<String> labels;
    private final boolean lenient;
    private volatile long skipped;

    /** {@code labelColumn} {@code null}: no labels; {@code labels} {@code null}: any label is accepted. */
    FileSource(Path path, DatasetOptions options, boolean withLabels) {
        this.path = path;
        this.format = options.format() != null ? options.format() : DataFormat.of(path);
        boolean plain = format == DataFormat.TXT || format == DataFormat.DIRECTORY;
        if (plain && withLabels) {
            throw new DatasetException(path.toString(), "a " + format + " dataset has texts only, no label column;"
                    + " use .jsonl, .csv, .tsv or .parquet for a classification dataset");
        }
        this.textColumn = plain ? TxtCursor.COLUMN : options.textColumn();
        this.labelColumn = withLabels ? options.labelColumn() : null;
        this.labels = withLabels ? options.labels() : null;
        this.lenient = options.lenient();
    }

    @Override
    public RowCursor open() {
        RecordCursor records = format.open(path);
        try {
            checkColumns(records);
        } catch (RuntimeException e) {
            records.close();
            throw e;
        }
        return new MappedCursor(records, textColumn, labelColumn, labels, lenient, n -> skipped = n);
    }

    private void checkColumns(RecordCursor records) {
        List<String> columns = records.columns();
        if (columns == null) {
            return;
        }
        for (String column : labelColumn == null ? List.of(textColumn) : List.of(textColumn, labelColumn)) {
            if (!columns.contains(column)) {
                throw new DatasetException(path.toString(), "no column '" + column + "'; the columns are " + columns
                        + " (choose one with DatasetOptions.with" + (column.equals(textColumn) ? "Text" : "Label")
                        + "Column)");
            }
        }
    }

    /** Rows skipped as bad in the last complete pass (lenient mode). */
    long skipped() {
        return skipped;
    }

    @Override
    public String describe() {
        return format.name().toLowerCase(java.util.Locale.ROOT) + " " + path.toAbsolutePath() + " (text column '"
                + textColumn + "'" + (labelColumn == null ? "" : ", label column '" + labelColumn + "'") + ")";
    }
}
