package io.microw.data;

import java.util.List;

/** Rows held in memory. */
record ListSource(List<Row> rows, String describe) implements RowSource {

    @Override
    public RowCursor open() {
        return RowCursor.of(rows);
    }
}
