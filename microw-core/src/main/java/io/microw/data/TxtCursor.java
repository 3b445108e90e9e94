package io.microw.data;

import java.nio.file.Path;
import java.util.Map;

/** {@code .txt}: one text per non-blank line, in column {@value #COLUMN}. */
final class TxtCursor extends LineCursor {

    /** The column name a text file's lines get. */
    static final String COLUMN = "text";

    TxtCursor(Path file) {
        super(file, false);
    }

    @Override
    Map<String, String> record(String line) {
        return Map.of(COLUMN, line);
    }
}
