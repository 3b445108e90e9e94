package io.microw.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * Makes datasets: from texts or labeled rows in memory, from local files ({@code .txt}, a folder of text files,
 * {@code .jsonl}, {@code .csv}, {@code .tsv}, {@code .parquet}, optionally gzipped except Parquet), or from any
 * {@link RowSource} (e.g. {@link HubDatasets}). An empty dataset is an error.
 */
public final class Datasets {

    private Datasets() {
    }

    /**
     * The texts, in memory.
     *
     * @param description names the dataset in {@link TextDataset#describe()} and in row origins
     * @param texts       the texts, none null
     * @return the dataset
     */
    public static TextDataset fromTexts(String description, List<String> texts) {
        List<Row> rows = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            rows.add(new Row(Objects.requireNonNull(texts.get(i), "text " + i), null, description + " #" + i));
        }
        return SourceDataset.load(new ListSource(rows, description), LoadingStrategy.IN_MEMORY, () -> 0);
    }

    /**
     * Labeled rows, in memory, with the label set {@code labels} (every row's label must be in it).
     *
     * @param description names the dataset in {@link TextDataset#describe()}
     * @param rows        the labeled rows
     * @param labels      the label set, in label-index order
     * @return the dataset
     */
    public static ClassificationDataset fromRows(String description, List<Row> rows, List<String> labels) {
        for (Row row : rows) {
            if (!labels.contains(row.label())) {
                throw new DatasetException(row.origin(), "label " + Texts.abbreviate(row.label())
                        + " is not in the label set " + labels);
            }
        }
        SourceDataset data = SourceDataset.load(new ListSource(List.copyOf(rows), description),
                LoadingStrategy.IN_MEMORY, () -> 0);
        return new ClassificationDataset(data, labels);
    }

    /**
     * The texts of a local file or folder, read as {@code options} say.
     *
     * @param path    a file, or a folder of files
     * @param options the text column, format, loading strategy and lenient mode
     * @return the dataset
     */
    public static TextDataset fromFile(Path path, DatasetOptions options) {
        FileSource source = new FileSource(path, options, false);
        return SourceDataset.load(source, options.strategy(), source::skipped);
    }

    /**
     * The texts of several local files of one format, read one after the other as one dataset.
     *
     * @param paths   the files, in reading order
     * @param options the text column, format, loading strategy and lenient mode
     * @return the dataset
     */
    public static TextDataset fromFiles(List<Path> paths, DatasetOptions options) {
        List<FileSource> parts = paths.stream().map(p -> new FileSource(p, options, false)).toList();
        ConcatSource source = new ConcatSource(parts, parts.size() + " files: " + paths);
        return SourceDataset.load(source, options.strategy(), source::skipped);
    }

    /**
     * The texts and labels of a local file (text and label columns and label set from {@code options}).
     *
     * @param path    a file, or a folder of files
     * @param options the columns, label set, format, loading strategy and lenient mode
     * @return the dataset
     */
    public static ClassificationDataset classificationFromFile(Path path, DatasetOptions options) {
        FileSource source = new FileSource(path, options, true);
        return classification(source, options, source::skipped);
    }

    /**
     * The texts of any row source (its labels ignored).
     *
     * @param source  the rows
     * @param options the loading strategy
     * @param skipped the number of bad rows the source skipped in its last pass
     * @return the dataset
     */
    public static TextDataset fromSource(RowSource source, DatasetOptions options, LongSupplier skipped) {
        return SourceDataset.load(source, options.strategy(), skipped);
    }

    /**
     * The labeled rows of any row source. Without a label set in {@code options} the labels found (sorted) are the
     * set, which takes a pass; a streaming dataset needs the label set given.
     *
     * @param source  the labeled rows
     * @param options the loading strategy and label set
     * @param skipped the number of bad rows the source skipped in its last pass
     * @return the dataset
     */
    public static ClassificationDataset classification(RowSource source, DatasetOptions options, LongSupplier skipped) {
        SourceDataset data = SourceDataset.load(source, options.strategy(), skipped);
        List<String> labels = options.labels();
        if (labels == null) {
            if (options.strategy() == LoadingStrategy.STREAMING) {
                throw new IllegalArgumentException(source.describe() + ": a streaming classification dataset is never"
                        + " read whole, so its label set cannot be found; give it with DatasetOptions.withLabels");
            }
            TreeSet<String> found = new TreeSet<>();
            data.rowBatches(1024).forEachRemaining(batch -> batch.forEach(row -> found.add(row.label())));
            labels = List.copyOf(found);
        }
        return new ClassificationDataset(data, labels);
    }
}
