package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Prints the document of {@code microw patch} as text: the prompts, the two metrics, the table, the files. */
final class PatchTable {

    private PatchTable() {
    }

    static void print(PrintWriter out, JsonNode doc) {
        out.println(doc.path("model").asText() + ": " + doc.path("what").asText() + " patching, metric "
                + doc.path("metric").asText());
        if (doc.has("receivers")) {
            out.println("into    " + strings(doc.path("receivers")) + " " + doc.path("channel").asText() + " input");
        }
        out.println("clean   " + CliText.quoted(doc.path("clean").asText()) + "  metric "
                + number(doc.path("clean_metric")));
        out.println("corrupt " + CliText.quoted(doc.path("corrupt").asText()) + "  metric "
                + number(doc.path("corrupt_metric")));
        out.println();
        List<String> rows = strings(doc.path("rows"));
        List<String> columns = strings(doc.path("columns"));
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
            JsonNode values = doc.path("values").get(r);
            for (int c = 0; c < columns.size(); c++) {
                line.append("  ").append(padLeft(number(values.get(c)), widths[c]));
            }
            out.println(line);
        }
        out.println();
        out.println("wrote " + doc.path("files").path("png").asText());
        out.println("wrote " + doc.path("files").path("json").asText());
    }

    /** A value as printed: four decimals, or "nan" for a null (non-finite) value. */
    static String number(JsonNode value) {
        return value == null || value.isNull() ? "nan" : String.format(Locale.ROOT, "%.4f", value.asDouble());
    }

    private static List<String> strings(JsonNode array) {
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
