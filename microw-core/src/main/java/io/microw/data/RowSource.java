package io.microw.data;

/** Something that can be read from the start any number of times: a file, a folder, several Parquet files. */
public interface RowSource {

    /**
     * Starts a new pass; the caller closes the cursor.
     *
     * @return a cursor at the first row
     */
    RowCursor open();

    /**
     * One line naming the source, e.g. {@code csv /data/reviews.csv (text column 'review')}.
     *
     * @return the description
     */
    String describe();
}
