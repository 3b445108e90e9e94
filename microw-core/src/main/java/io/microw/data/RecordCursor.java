package io.microw.data;

import java.util.List;
import java.util.Map;

/**
 * One pass over the raw records of one file format, each a map from column name to value. A malformed record
 * throws {@link BadRowException} from {@link #next()} and the cursor stays usable for the records after it.
 */
abstract class RecordCursor implements AutoCloseable {

    /** The next record, or {@code null} at the end. */
    abstract Map<String, String> next();

    /** Where the record last returned (or rejected) came from, e.g. {@code file.csv:7}. */
    abstract String origin();

    /** The columns every record has, when the format declares them up front (a header, a schema); else {@code null}. */
    List<String> columns() {
        return null;
    }

    @Override
    public abstract void close();
}
