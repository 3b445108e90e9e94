package io.microw.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The part of the line-based formats ({@code .txt}, {@code .jsonl}, {@code .csv}) that reads lines and counts
 * them; {@link #origin()} is {@code file:line} of the record's first line.
 */
abstract class LineCursor extends RecordCursor {

    private final Path file;
    private final BufferedReader reader;
    private final boolean onlyEmptyIsBlank;
    private long lineNumber;
    private long recordLine;

    /** {@code onlyEmptyIsBlank}: skip empty lines only (CSV, where whitespace is data); else skip blank lines. */
    LineCursor(Path file, boolean onlyEmptyIsBlank) {
        this.file = file;
        this.onlyEmptyIsBlank = onlyEmptyIsBlank;
        this.reader = Files2.open(file);
    }

    /** The next line, or {@code null} at the end of the file. */
    final String readLine() {
        try {
            String line = reader.readLine();
            if (line != null) {
                lineNumber++;
            }
            return line;
        } catch (IOException e) {
            throw new DatasetException(file.toString(), "could not read the file after line " + lineNumber + " ("
                    + e + "); expected UTF-8 text", e);
        }
    }

    @Override
    final Map<String, String> next() {
        String line = readRecordLine();
        return line == null ? null : record(line);
    }

    /** The record that starts with {@code line} (a format may read more lines for it). */
    abstract Map<String, String> record(String line);

    /** The next line that is not skipped as blank, marked as the start of a record; {@code null} at the end. */
    final String readRecordLine() {
        String line;
        do {
            line = readLine();
        } while (line != null && (onlyEmptyIsBlank ? line.isEmpty() : line.isBlank()));
        if (line != null) {
            startRecord();
        }
        return line;
    }

    /** Marks the line just read as the first line of the current record. */
    private void startRecord() {
        recordLine = lineNumber;
    }

    final Path file() {
        return file;
    }

    @Override
    final String origin() {
        return file + ":" + recordLine;
    }

    @Override
    public final void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not close " + file, e);
        }
    }
}
