package io.microw.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.JsonMapper;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The server's JSON: one shared mapper, and numbers that stay valid JSON: {@link #write} writes NaN and infinities
 * as null (Jackson would write them as the strings "NaN" and "Infinity"), and {@link #putNumber} keeps them out of
 * documents that are stored.
 */
final class Json {

    static final ObjectMapper MAPPER = JsonMapper.mapper();

    private Json() {
    }

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    static void putNumber(ObjectNode node, String field, double value) {
        if (Double.isFinite(value)) {
            node.put(field, value);
        } else {
            node.putNull(field);
        }
    }

    /** The text of a response: {@code node} as JSON, with every NaN or infinite number written as null. */
    static String write(JsonNode node) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = new FiniteNumbers(MAPPER.getFactory().createGenerator(out))) {
            MAPPER.writeTree(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a JSON response", e);
        }
        return out.toString();
    }

    /** A generator that writes null in place of a float or double that is NaN or infinite. */
    private static final class FiniteNumbers extends JsonGeneratorDelegate {

        FiniteNumbers(JsonGenerator out) {
            super(out, false);
        }

        @Override
        public void writeNumber(double v) throws IOException {
            if (Double.isFinite(v)) {
                super.writeNumber(v);
            } else {
                writeNull();
            }
        }

        @Override
        public void writeNumber(float v) throws IOException {
            if (Float.isFinite(v)) {
                super.writeNumber(v);
            } else {
                writeNull();
            }
        }
    }
}
