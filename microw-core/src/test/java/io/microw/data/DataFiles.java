package io.microw.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Writes small dataset files for tests and reads datasets back whole. */
final class DataFiles {

    private DataFiles() {
    }

    static Path write(Path dir, String name, String content) {
        try {
            Path file = dir.resolve(name);
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Parquet file with string columns {@code text} and {@code label}, written by DuckDB. */
    static Path parquet(Path dir, String name, List<String> texts, List<String> labels) {
        Path file = dir.resolve(name);
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            values.append(i == 0 ? "" : ", ").append("(").append(i).append(", ").append(quote(texts.get(i)))
                    .append(", ").append(quote(labels.get(i))).append(")");
        }
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
            s.execute("COPY (SELECT text, label FROM (VALUES " + values + ") t(i, text, label) ORDER BY i) TO "
                    + quote(file.toString()) + " (FORMAT PARQUET)");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return file;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** Every text of one pass, batch by batch. */
    static List<String> all(TextDataset dataset, int batchSize) {
        List<String> texts = new ArrayList<>();
        for (Iterator<List<String>> it = dataset.iterBatches(batchSize); it.hasNext(); ) {
            List<String> batch = it.next();
            if (batch.isEmpty() || batch.size() > batchSize) {
                throw new AssertionError("batch of " + batch.size() + " for batch size " + batchSize);
            }
            texts.addAll(batch);
        }
        return texts;
    }

    static List<String> all(TextDataset dataset) {
        return all(dataset, 3);
    }
}
