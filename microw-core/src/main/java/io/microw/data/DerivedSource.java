package io.microw.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

/**
 * A source that changes another's rows on the fly: filtered, cut after {@code n} rows, or mixed through a bounded
 * shuffle buffer. Nothing is read ahead beyond the buffer.
 */
final class DerivedSource implements RowSource {

    private final RowSource base;
    private final String change;
    private final java.util.function.Function<RowCursor, RowCursor> transform;

    private DerivedSource(RowSource base, String change, java.util.function.Function<RowCursor, RowCursor> transform) {
        this.base = base;
        this.change = change;
        this.transform = transform;
    }

    static RowSource filtered(RowSource base, Predicate<Row> keep) {
        return new DerivedSource(base, "filtered", cursor -> new Step(cursor) {
            @Override
            Row compute() {
                while (cursor.hasNext()) {
                    Row row = cursor.next();
                    if (keep.test(row)) {
                        return row;
                    }
                }
                return null;
            }
        });
    }

    static RowSource limited(RowSource base, long n) {
        return new DerivedSource(base, "first " + n, cursor -> new Step(cursor) {
            private long taken;

            @Override
            Row compute() {
                return taken < n && cursor.hasNext() ? take() : null;
            }

            private Row take() {
                taken++;
                return cursor.next();
            }
        });
    }

    /** Rows drawn at random from a buffer of {@code bufferSize} that is refilled in file order. */
    static RowSource bufferShuffled(RowSource base, long seed, int bufferSize) {
        return new DerivedSource(base, "shuffled with seed " + seed + " through a buffer of " + bufferSize,
                cursor -> new Step(cursor) {
                    private final Random random = new Random(seed);
                    private final List<Row> buffer = new ArrayList<>();

                    @Override
                    Row compute() {
                        while (buffer.size() < bufferSize && cursor.hasNext()) {
                            buffer.add(cursor.next());
                        }
                        if (buffer.isEmpty()) {
                            return null;
                        }
                        int i = random.nextInt(buffer.size());
                        Row row = buffer.get(i);
                        buffer.set(i, buffer.get(buffer.size() - 1));
                        buffer.remove(buffer.size() - 1);
                        return row;
                    }
                });
    }

    @Override
    public RowCursor open() {
        RowCursor cursor = base.open();
        return transform.apply(cursor);
    }

    @Override
    public String describe() {
        return base.describe() + ", " + change;
    }

    /** A cursor that computes each row from the base cursor, and closes it. */
    private abstract static class Step extends LookaheadCursor {
        private final RowCursor base;

        Step(RowCursor base) {
            this.base = base;
        }

        @Override
        public void close() {
            base.close();
        }
    }
}
