package io.microw.concepts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF line ends. */
final class Csv {

    /** One record and the line it starts on (1-based). */
    record Record(int line, List<String> fields) {
    }

    private Csv() {
    }

    static List<Record> parse(String what, Path path, String text) {
        List<Record> out = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int line = 1;
        int start = 1;
        boolean quoted = false;
        boolean wasQuoted = false;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < n && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                }
                continue;
            }
            switch (c) {
                case '"' -> {
                    if (field.length() > 0 || wasQuoted) {
                        throw new ConceptException(what + " " + path + ", line " + line
                                + ": a quote inside an unquoted field; quote the whole field and double inner quotes");
                    }
                    quoted = true;
                    wasQuoted = true;
                }
                case ',' -> {
                    fields.add(field.toString());
                    field.setLength(0);
                    wasQuoted = false;
                }
                case '\r' -> {
                    // CR of CRLF (a lone CR is treated the same)
                }
                case '\n' -> {
                    fields.add(field.toString());
                    field.setLength(0);
                    wasQuoted = false;
                    out.add(new Record(start, List.copyOf(fields)));
                    fields.clear();
                    line++;
                    start = line;
                }
                default -> {
                    if (wasQuoted) {
                        throw new ConceptException(what + " " + path + ", line " + line
                                + ": text after a closing quote");
                    }
                    field.append(c);
                }
            }
        }
        if (quoted) {
            throw new ConceptException(what + " " + path + ", line " + start + ": a quoted field is never closed");
        }
        if (field.length() > 0 || !fields.isEmpty() || wasQuoted) {
            fields.add(field.toString());
            out.add(new Record(start, List.copyOf(fields)));
        }
        return out;
    }

    /** The field as CSV: quoted when it holds a comma, quote, line break or edge space. */
    static String quote(String s) {
        if (s.isEmpty()) {
            return s;
        }
        boolean needs = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
                || Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(s.length() - 1));
        return needs ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
