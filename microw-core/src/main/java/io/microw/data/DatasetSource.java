package io.microw.data;

import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** Any {@link TextDataset} read as a row source (texts without labels), so filtering and the rest apply to it. */
record DatasetSource(TextDataset dataset) implements RowSource {

    private static final int BATCH = 256;

    @Override
    public RowCursor open() {
        Iterator<List<String>> batches = dataset.iterBatches(BATCH);
        return new RowCursor() {
            private Iterator<String> batch = Collections.emptyIterator();
            private long index;

            @Override
            public boolean hasNext() {
                while (!batch.hasNext() && batches.hasNext()) {
                    batch = batches.next().iterator();
                }
                return batch.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return new Row(batch.next(), null, describe() + " #" + index++);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public String describe() {
        return dataset.describe();
    }
}
