package io.microw.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code .csv} and {@code .tsv} as RFC 4180 describes them: a header row naming the columns, fields separated by
 * the delimiter, a field in double quotes may hold delimiters, line breaks and doubled quotes ({@code ""}).
 * A row with another number of fields than the header is a {@link BadRowException}.
 */
final class CsvCursor extends LineCursor {

    private final char delimiter;
    private final List<String> header;

    CsvCursor(Path file, char delimiter) {
        super(file, true);
        this.delimiter = delimiter;
        String first = readRecordLine();
        if (first == null) {
            throw new DatasetException(file.toString(), "the file is empty; expected a header row naming the columns");
        }
        List<String> names = fields(first);
        Map<String, Integer> seen = new HashMap<>();
        for (String name : names) {
            if (seen.put(name, seen.size()) != null) {
                throw new DatasetException(origin(), "the header names column '" + name + "' twice: " + names);
            }
        }
        this.header = List.copyOf(names);
    }

    @Override
    List<String> columns() {
        return header;
    }

    @Override
    Map<String, String> record(String line) {
        List<String> fields = fields(line);
        if (fields.size() != header.size()) {
            throw new BadRowException(origin(), "the row has " + fields.size() + " field(s) but the header has "
                    + header.size() + " " + header + "; row: " + Texts.abbreviate(String.join(String.valueOf(delimiter),
                    fields)));
        }
        Map<String, String> record = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
            record.put(header.get(i), fields.get(i));
        }
        return record;
    }

    /** The fields of the record starting with {@code line}, reading on while a quoted field spans lines. */
    private List<String> fields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        int i = 0;
        while (true) {
            if (i == line.length()) {
                if (!quoted) {
                    fields.add(field.toString());
                    return fields;
                }
                String more = readLine();
                if (more == null) {
                    throw new BadRowException(origin(), "a quoted field is not closed before the end of the file: "
                            + Texts.abbreviate(field.toString()));
                }
                field.append('\n');
                line = more;
                i = 0;
                continue;
            }
            char c = line.charAt(i++);
            if (quoted) {
                if (c != '"') {
                    field.append(c);
                } else if (i < line.length() && line.charAt(i) == '"') {
                    field.append('"');
                    i++;
                } else {
                    quoted = false;
                }
            } else if (c == delimiter) {
                fields.add(field.toString());
                field.setLength(0);
                wasQuoted = false;
            } else if (c == '"' && field.length() == 0 && !wasQuoted) {
                quoted = true;
                wasQuoted = true;
            } else {
                field.append(c);
            }
        }
    }
}
