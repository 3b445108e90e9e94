package io.microw.data;

import java.util.List;

/** Several files read one after the other as one source (e.g. the Parquet shards of a Hub dataset). */
final class ConcatSource implements RowSource {

    private final List<FileSource> parts;
    private final String description;

    ConcatSource(List<FileSource> parts, String description) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException(description + ": no files given; expected at least one");
        }
        this.parts = List.copyOf(parts);
        this.description = description;
    }

    /** Bad rows skipped in the last pass over every part. */
    long skipped() {
        return parts.stream().mapToLong(FileSource::skipped).sum();
    }

    @Override
    public RowCursor open() {
        return new LookaheadCursor() {
            private int part;
            private RowCursor current = parts.get(0).open();

            @Override
            Row compute() {
                while (!current.hasNext() && part + 1 < parts.size()) {
                    current.close();
                    current = parts.get(++part).open();
                }
                return current.hasNext() ? current.next() : null;
            }

            @Override
            public void close() {
                current.close();
            }
        };
    }

    @Override
    public String describe() {
        return description;
    }
}
