package io.microw.data;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/** One pass over a dataset's rows; closing it releases the file or connection behind it. */
public interface RowCursor extends Iterator<Row>, AutoCloseable {

    @Override
    void close();

    /**
     * A cursor over rows already in memory.
     *
     * @param rows the rows
     * @return a cursor over them; closing it does nothing
     */
    static RowCursor of(List<Row> rows) {
        Iterator<Row> it = rows.iterator();
        return new RowCursor() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return it.next();
            }

            @Override
            public void close() {
            }
        };
    }
}
