package io.microw.data;

import java.util.NoSuchElementException;

/** A cursor that computes its next row on demand; {@link #compute()} returning {@code null} ends it. */
abstract class LookaheadCursor implements RowCursor {

    private Row next;
    private boolean done;

    /** The next row, or {@code null} when there are no more. */
    abstract Row compute();

    @Override
    public final boolean hasNext() {
        if (next == null && !done) {
            next = compute();
            done = next == null;
        }
        return next != null;
    }

    @Override
    public final Row next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Row row = next;
        next = null;
        return row;
    }
}
