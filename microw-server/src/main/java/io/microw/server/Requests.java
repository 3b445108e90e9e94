package io.microw.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;

/** Reading request bodies and fields, with 400s that say what was wrong. */
final class Requests {

    private Requests() {
    }

    /** The body as a JSON object; 400 when it is empty, not JSON, or not an object. */
    static ObjectNode body(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length == 0) {
            throw ApiException.badRequest("the request needs a JSON object body");
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(bytes);
        } catch (JacksonException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("the body cannot be read");
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        return (ObjectNode) node;
    }

    static String text(JsonNode node, String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw ApiException.badRequest("missing '" + field + "'");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("'" + field + "' must be a string");
        }
        return v.asText();
    }

    static int integer(JsonNode node, String field, int fallback, int min, int max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
            throw ApiException.badRequest("'" + field + "' must be an integer from " + min + " to " + max);
        }
        return v.asInt();
    }

    static Double number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw ApiException.badRequest("'" + field + "' must be a finite number");
        }
        return v.asDouble();
    }

    /** A non-empty list of strings from {@code many} (an array) or {@code one} (a string). */
    static List<String> texts(JsonNode node, String many, String one, int maxCount, int maxChars) {
        List<String> out = new ArrayList<>();
        JsonNode arr = node.get(many);
        if (arr != null && !arr.isNull()) {
            if (!arr.isArray()) {
                throw ApiException.badRequest("'" + many + "' must be an array of strings");
            }
            for (JsonNode t : arr) {
                if (!t.isTextual()) {
                    throw ApiException.badRequest("'" + many + "' must be an array of strings");
                }
                out.add(t.asText());
            }
        } else if (one != null && node.hasNonNull(one)) {
            out.add(text(node, one, true));
        }
        if (out.isEmpty()) {
            throw ApiException.badRequest("missing '" + many + "'" + (one == null ? "" : " (or '" + one + "')")
                    + ": give at least one text");
        }
        if (out.size() > maxCount) {
            throw ApiException.badRequest("at most " + maxCount + " texts per request, got " + out.size());
        }
        for (String t : out) {
            if (t.isEmpty()) {
                throw ApiException.badRequest("texts must not be empty");
            }
            if (t.length() > maxChars) {
                throw ApiException.badRequest("a text may have at most " + maxChars + " characters");
            }
        }
        return out;
    }
}
