package io.microw.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The file formats a dataset can be read from, and how each is recognized by its name. */
public enum DataFormat {
    /** One text per non-blank line. */
    TXT,
    /** A folder: one text per file. */
    DIRECTORY,
    /** One JSON object per line. */
    JSONL,
    /** Comma-separated values with a header row (RFC 4180). */
    CSV,
    /** Tab-separated values with a header row. */
    TSV,
    /** Apache Parquet. */
    PARQUET;

    /**
     * The format {@code path}'s name implies ({@code .gz} ignored); a folder is {@link #DIRECTORY}.
     *
     * @param path a file or folder
     * @return the format its extension names, or {@link #DIRECTORY} for a folder
     * @throws DatasetException for an unknown extension
     */
    public static DataFormat of(Path path) {
        if (Files.isDirectory(path)) {
            return DIRECTORY;
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        return switch (ext) {
            case "txt", "text" -> TXT;
            case "jsonl", "ndjson" -> JSONL;
            case "csv" -> CSV;
            case "tsv", "tab" -> TSV;
            case "parquet" -> PARQUET;
            default -> throw new DatasetException(path.toString(), "unknown dataset format '" + ext + "'; expected a"
                    + " folder or a file ending in .txt, .jsonl, .csv, .tsv or .parquet (or name the format with"
                    + " DatasetOptions.withFormat)");
        };
    }

    /** Starts reading {@code path} in this format. */
    RecordCursor open(Path path) {
        return switch (this) {
            case TXT -> new TxtCursor(path);
            case DIRECTORY -> new DirectoryCursor(path);
            case JSONL -> new JsonlCursor(path);
            case CSV -> new CsvCursor(path, ',');
            case TSV -> new CsvCursor(path, '\t');
            case PARQUET -> new ParquetCursor(path);
        };
    }
}
