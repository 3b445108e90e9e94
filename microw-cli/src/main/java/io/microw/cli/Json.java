package io.microw.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.io.JsonMapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The one JSON document a {@code --json} command prints on stdout (indented, UTF-8, one trailing newline). */
final class Json {

    static final ObjectMapper MAPPER = JsonMapper.mapper();

    private static final ObjectWriter PRETTY = JsonMapper.pretty();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** Writes {@code node} and a newline, and flushes. */
    static void print(PrintWriter out, JsonNode node) {
        try {
            out.println(PRETTY.writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        out.flush();
    }

    /** A number for JSON: non-finite values become {@code null} (JSON has no NaN). */
    static void putNumber(ObjectNode node, String key, double value) {
        if (Double.isFinite(value)) {
            node.put(key, value);
        } else {
            node.putNull(key);
        }
    }

    /**
     * A labelled table for JSON: {@code rows} and {@code columns} (the labels) and {@code values} [rows][columns],
     * non-finite cells as {@code null}.
     */
    static void putTable(ObjectNode node, List<String> rows, List<String> columns, float[][] values) {
        rows.forEach(node.putArray("rows")::add);
        columns.forEach(node.putArray("columns")::add);
        putMatrix(node, "values", values);
    }

    /** A [rows][columns] array of numbers for JSON, non-finite cells as {@code null}. */
    static void putMatrix(ObjectNode node, String key, float[][] values) {
        ArrayNode array = node.putArray(key);
        for (float[] row : values) {
            ArrayNode v = array.addArray();
            for (float x : row) {
                v.add(Float.isFinite(x) ? x : null);
            }
        }
    }

    /** NaN and infinities become null, so that strict JSON readers accept the output. */
    static Object finite(Object value) {
        if (value instanceof Double d && !Double.isFinite(d)) {
            return null;
        }
        if (value instanceof Float f && !Float.isFinite(f)) {
            return null;
        }
        if (value instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, finite(v)));
            return out;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(Json::finite).toList();
        }
        return value;
    }

    /** Prints {@code value} as indented JSON. */
    static void print(PrintWriter out, Object value) {
        try {
            out.println(PRETTY.writeValueAsString(finite(value)));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code value} as indented JSON to {@code file}, creating folders. */
    static void write(Path file, Object value) {
        try {
            AtomicFiles.write(file, out -> PRETTY.writeValue(out, finite(value)));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
