package io.microw.data;

import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * Texts with one label each (e.g. a genre or a sentiment), from a text column and a label column, and the label
 * set in label-index order. Read as a plain {@link TextDataset} it yields the texts; {@link #iterLabeledBatches}
 * yields texts with their labels. Made by {@link Datasets}.
 */
public final class ClassificationDataset extends TextDataset {

    private final SourceDataset rows;
    private final List<String> labels;

    ClassificationDataset(SourceDataset rows, List<String> labels) {
        this.rows = rows;
        this.labels = List.copyOf(labels);
    }

    /**
     * The label set, in label-index order.
     *
     * @return the labels
     */
    public List<String> labels() {
        return labels;
    }

    /**
     * The index of {@code label} in {@link #labels()}; an unknown label is an error naming the label set.
     *
     * @param label a label of the set
     * @return its index
     */
    public int labelIndex(String label) {
        int i = labels.indexOf(label);
        if (i < 0) {
            throw new IllegalArgumentException("unknown label '" + label + "'; the labels are " + labels);
        }
        return i;
    }

    /**
     * Batches of at most {@code batchSize} rows, each with its text, label and origin, in dataset order.
     *
     * @param batchSize the most rows per batch
     * @return the batches; each call starts from the beginning
     */
    public Iterator<List<Row>> iterLabeledBatches(int batchSize) {
        return rows.rowBatches(batchSize);
    }

    @Override
    public Iterator<List<String>> iterBatches(int batchSize) {
        return rows.iterBatches(batchSize);
    }

    @Override
    public OptionalLong length() {
        return rows.length();
    }

    @Override
    public String describe() {
        return rows.describe() + ", labels " + labels;
    }

    @Override
    public long skippedRows() {
        return rows.skippedRows();
    }

    @Override
    public ClassificationDataset filter(Predicate<String> keep) {
        return new ClassificationDataset(rows.filter(keep), labels);
    }

    /**
     * The rows {@code keep} accepts, judged on text and label (e.g. {@code row -> row.label().equals("humor")}).
     *
     * @param keep decides, per row, whether it stays
     * @return a dataset of the accepted rows, with the same label set
     */
    public ClassificationDataset filterRows(Predicate<Row> keep) {
        return new ClassificationDataset(rows.filterRows(keep), labels);
    }

    @Override
    public ClassificationDataset limit(long n) {
        return new ClassificationDataset(rows.limit(n), labels);
    }

    @Override
    public ClassificationDataset shuffled(long seed) {
        return shuffled(seed, DEFAULT_SHUFFLE_BUFFER);
    }

    @Override
    public ClassificationDataset shuffled(long seed, int bufferSize) {
        return new ClassificationDataset(rows.shuffled(seed, bufferSize), labels);
    }
}
