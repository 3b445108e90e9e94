package io.microw.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * A {@link TextDataset} over a {@link RowSource} with a {@link LoadingStrategy}: in memory the rows are read once
 * into a list; on disk and streaming each pass reads the source again. Filtering, {@code limit} and shuffling give
 * new datasets with the same strategy.
 */
final class SourceDataset extends TextDataset {

    private final RowSource source;
    private final LoadingStrategy strategy;
    private final LongSupplier skipped;
    private final List<Row> rows;
    private volatile OptionalLong counted;

    private SourceDataset(RowSource source, LoadingStrategy strategy, LongSupplier skipped) {
        this.strategy = strategy;
        this.skipped = skipped;
        if (strategy == LoadingStrategy.IN_MEMORY) {
            this.rows = Collections.unmodifiableList(readAll(source));
            this.source = new ListSource(rows, source.describe());
        } else {
            this.rows = null;
            this.source = source;
        }
    }

    /** A dataset over {@code source}; an error when the source has no rows at all. */
    static SourceDataset load(RowSource source, LoadingStrategy strategy, LongSupplier skipped) {
        SourceDataset dataset = new SourceDataset(source, strategy, skipped);
        dataset.requireRows();
        return dataset;
    }

    /** Any dataset as a streaming source dataset, for the transformations {@link TextDataset} offers. */
    static SourceDataset wrap(TextDataset dataset) {
        return new SourceDataset(new DatasetSource(dataset), LoadingStrategy.STREAMING, () -> 0);
    }

    private void requireRows() {
        boolean any;
        if (rows != null) {
            any = !rows.isEmpty();
        } else {
            try (RowCursor cursor = source.open()) {
                any = cursor.hasNext();
            }
        }
        if (!any) {
            long bad = skipped.getAsLong();
            throw new DatasetException(source.describe(), "the dataset is empty: no texts"
                    + (bad > 0 ? " (all " + bad + " row(s) were bad and skipped in lenient mode)" : "")
                    + "; expected at least one");
        }
    }

    private static List<Row> readAll(RowSource source) {
        List<Row> all = new ArrayList<>();
        try (RowCursor cursor = source.open()) {
            cursor.forEachRemaining(all::add);
        }
        return all;
    }

    /** Batches of whole rows (text, label, origin). */
    Iterator<List<Row>> rowBatches(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        RowCursor cursor = source.open();
        return new Iterator<>() {
            private boolean closed;

            @Override
            public boolean hasNext() {
                if (closed) {
                    return false;
                }
                if (!cursor.hasNext()) {
                    closed = true;
                    cursor.close();
                }
                return !closed;
            }

            @Override
            public List<Row> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                List<Row> batch = new ArrayList<>(Math.min(batchSize, 1024));
                while (batch.size() < batchSize && cursor.hasNext()) {
                    batch.add(cursor.next());
                }
                return batch;
            }
        };
    }

    @Override
    public Iterator<List<String>> iterBatches(int batchSize) {
        Iterator<List<Row>> batches = rowBatches(batchSize);
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return batches.hasNext();
            }

            @Override
            public List<String> next() {
                return batches.next().stream().map(Row::text).toList();
            }
        };
    }

    @Override
    public OptionalLong length() {
        if (rows != null) {
            return OptionalLong.of(rows.size());
        }
        if (strategy == LoadingStrategy.STREAMING) {
            return OptionalLong.empty();
        }
        if (counted == null) {
            long n = 0;
            try (RowCursor cursor = source.open()) {
                for (; cursor.hasNext(); cursor.next()) {
                    n++;
                }
            }
            counted = OptionalLong.of(n);
        }
        return counted;
    }

    @Override
    public String describe() {
        return source.describe() + " [" + strategy.name().toLowerCase(java.util.Locale.ROOT) + "]";
    }

    @Override
    public long skippedRows() {
        return skipped.getAsLong();
    }

    LoadingStrategy strategy() {
        return strategy;
    }

    @Override
    public SourceDataset filter(Predicate<String> keep) {
        return filterRows(row -> keep.test(row.text()));
    }

    /** The rows {@code keep} accepts, judged on the whole row (text and label). */
    SourceDataset filterRows(Predicate<Row> keep) {
        return derive(DerivedSource.filtered(source, keep));
    }

    @Override
    public SourceDataset limit(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("limit must be at least 0, got " + n);
        }
        return derive(DerivedSource.limited(source, n));
    }

    @Override
    public SourceDataset shuffled(long seed, int bufferSize) {
        if (bufferSize < 1) {
            throw new IllegalArgumentException("shuffle buffer size must be at least 1, got " + bufferSize);
        }
        if (rows != null) {
            List<Row> copy = new ArrayList<>(rows);
            Collections.shuffle(copy, new Random(seed));
            return derive(new ListSource(copy, source.describe() + ", shuffled with seed " + seed));
        }
        return derive(DerivedSource.bufferShuffled(source, seed, bufferSize));
    }

    private SourceDataset derive(RowSource derived) {
        return new SourceDataset(derived, strategy, skipped);
    }
}
