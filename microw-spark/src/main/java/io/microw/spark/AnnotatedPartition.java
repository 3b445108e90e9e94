package io.microw.spark;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * One partition of {@link MicrowSpark#annotate}: reads a window of rows ({@value #WINDOW_BATCHES} batches), sorts its
 * non-null texts by length so that a batch pads little, annotates them a batch per forward, and yields the window's
 * rows in their order with the annotation appended (null for a null text). Holds one window of rows.
 *
 * @param annotation what to compute
 * @param textField  the text column's index
 * @param batchSize  rows per forward
 */
record AnnotatedPartition(TextAnnotation annotation, int textField, int batchSize)
        implements MapPartitionsFunction<Row, Row> {

    /** Batches of texts sorted by length together. */
    static final int WINDOW_BATCHES = 32;

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return new Iterator<>() {
            private final List<Row> out = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                if (next == out.size()) {
                    fill();
                }
                return next < out.size();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return out.get(next++);
            }

            private void fill() {
                out.clear();
                next = 0;
                List<Row> window = new ArrayList<>();
                while (window.size() < batchSize * WINDOW_BATCHES && rows.hasNext()) {
                    window.add(rows.next());
                }
                List<Integer> byLength = new ArrayList<>();
                for (int r = 0; r < window.size(); r++) {
                    if (!window.get(r).isNullAt(textField)) {
                        byLength.add(r);
                    }
                }
                byLength.sort(Comparator.comparingInt((Integer r) -> window.get(r).getString(textField).length()));
                Object[] values = new Object[window.size()];
                for (int from = 0; from < byLength.size(); from += batchSize) {
                    List<Integer> batch = byLength.subList(from, Math.min(from + batchSize, byLength.size()));
                    Object[] annotated = annotation.annotate(
                            batch.stream().map(r -> window.get(r).getString(textField)).toList());
                    for (int b = 0; b < batch.size(); b++) {
                        values[batch.get(b)] = annotated[b];
                    }
                }
                for (int r = 0; r < window.size(); r++) {
                    Row row = window.get(r);
                    Object[] fields = new Object[row.length() + 1];
                    for (int i = 0; i < row.length(); i++) {
                        fields[i] = row.get(i);
                    }
                    fields[row.length()] = values[r];
                    out.add(RowFactory.create(fields));
                }
            }
        };
    }
}
