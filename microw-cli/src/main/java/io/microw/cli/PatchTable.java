package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints the document of {@code microw patch} as text: the prompts, the two metrics, the table, the files; its parts
 * serve {@code microw attribute} too.
 */
final class PatchTable {

    private PatchTable() {
    }

    /** Prints {@code doc}: the header, the prompts and metrics, the table, the files written. */
    static void print(PrintWriter out, JsonNode doc) {
        out.println(doc.path("model").asText() + ": " + doc.path("what").asText() + " patching, metric "
                + doc.path("metric").asText());
        if (doc.has("receivers")) {
            out.println("into    " + strings(doc.path("receivers")) + " " + doc.path("channel").asText() + " input");
        }
        prompts(out, doc);
        out.println();
        grid(out, strings(doc.path("rows")), strings(doc.path("columns")), doc.path("values"));
        out.println();
        files(out, doc);
    }

    /** The clean and corrupted prompts, each with its metric. */
    static void prompts(PrintWriter out, JsonNode doc) {
        out.println("clean   " + CliText.quoted(doc.path("clean").asText()) + "  metric "
                + number(doc.path("clean_metric")));
        out.println("corrupt " + CliText.quoted(doc.path("corrupt").asText()) + "  metric "
                + number(doc.path("corrupt_metric")));
    }

    /** A table: a header of column labels, then one line per row, its label and its values [rows][columns]. */
    static void grid(PrintWriter out, List<String> rows, List<String> columns, JsonNode values) {
        int first = rows.stream().mapToInt(String::length).max().orElse(0);
        int[] widths = new int[columns.size()];
        StringBuilder header = new StringBuilder(pad("", first));
        for (int c = 0; c < columns.size(); c++) {
            widths[c] = Math.max(8, columns.get(c).length());
            header.append("  ").append(pad(columns.get(c), widths[c]));
        }
        out.println(header.toString().stripTrailing());
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder(pad(rows.get(r), first));
            JsonNode row = values.get(r);
            for (int c = 0; c < columns.size(); c++) {
                line.append("  ").append(padLeft(number(row.get(c)), widths[c]));
            }
            out.println(line);
        }
    }

    /** "wrote FILE" for each file the document names under {@code files}. */
    static void files(PrintWriter out, JsonNode doc) {
        doc.path("files").forEach(file -> out.println("wrote " + file.asText()));
    }

    /** A value as printed: four decimals, or "nan" for a null (non-finite) value. */
    static String number(JsonNode value) {
        return value == null || value.isNull() ? "nan" : String.format(Locale.ROOT, "%.4f", value.asDouble());
    }

    /** The texts of a JSON array. */
    static List<String> strings(JsonNode array) {
        List<String> list = new ArrayList<>();
        array.forEach(n -> list.add(n.asText()));
        return list;
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    private static String padLeft(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }
}
