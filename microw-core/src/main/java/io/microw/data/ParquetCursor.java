package io.microw.data;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * {@code .parquet}, read with DuckDB's JDBC driver ({@code read_parquet}) in an in-process database, streaming
 * the result rather than materializing it. Values become strings; {@link #origin()} is {@code file:row} (1-based).
 */
final class ParquetCursor extends RecordCursor {

    private final Path file;
    private final Connection connection;
    private final ResultSet rows;
    private final List<String> columns = new ArrayList<>();
    private long row;

    ParquetCursor(Path file) {
        Files2.checkReadable(file);
        this.file = file;
        try {
            Properties props = new Properties();
            props.setProperty("jdbc_stream_results", "true");
            connection = DriverManager.getConnection("jdbc:duckdb:", props);
        } catch (SQLException e) {
            throw new DatasetException(file.toString(), "could not start DuckDB to read Parquet (" + e.getMessage() + ")", e);
        }
        try {
            Statement statement = connection.createStatement();
            String literal = "'" + file.toAbsolutePath().toString().replace("'", "''") + "'";
            rows = statement.executeQuery("SELECT * FROM read_parquet(" + literal + ")");
            ResultSetMetaData meta = rows.getMetaData();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                columns.add(meta.getColumnName(i));
            }
        } catch (SQLException e) {
            close();
            throw new DatasetException(file.toString(), "could not read the file as Parquet (" + e.getMessage() + ")", e);
        }
    }

    @Override
    List<String> columns() {
        return columns;
    }

    @Override
    Map<String, String> next() {
        try {
            if (!rows.next()) {
                return null;
            }
            row++;
            Map<String, String> record = new LinkedHashMap<>();
            for (int i = 0; i < columns.size(); i++) {
                Object value = rows.getObject(i + 1);
                record.put(columns.get(i), value == null ? null : value.toString());
            }
            return record;
        } catch (SQLException e) {
            throw new DatasetException(origin(), "could not read Parquet row " + (row + 1) + " (" + e.getMessage() + ")", e);
        }
    }

    @Override
    String origin() {
        return file + ":" + row;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            throw new DatasetException(file.toString(), "could not close DuckDB (" + e.getMessage() + ")", e);
        }
    }
}
