package io.microw.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.lm.GenerationConfig;

import java.util.ArrayList;
import java.util.List;

/** Reading request bodies and fields, with 400s that say what was wrong. */
final class Requests {

    private Requests() {
    }

    /** The request attribute holding the server's body limit in bytes (set by the server's guard). */
    static final String BODY_LIMIT = "microw.bodyLimit";

    /** Generation settings of a request: the config, and whether it samples (temperature > 0). */
    record Generation(GenerationConfig config, boolean sampled) {
    }

    /**
     * The body as a JSON object; 400 when it is empty, not JSON, not an object, or followed by more than whitespace;
     * 413 when a body sent without a Content-Length (chunked) grows past the server's limit.
     */
    static ObjectNode body(Context ctx) {
        byte[] bytes = bodyBytes(ctx);
        if (bytes.length == 0) {
            throw ApiException.badRequest("the request needs a JSON object body");
        }
        JsonNode node;
        try (JsonParser parser = Json.MAPPER.createParser(bytes)) {
            node = Json.MAPPER.readTree(parser);
            if (parser.nextToken() != null) {
                throw ApiException.badRequest("the body must be one JSON object with nothing after it, but '"
                        + parser.getText() + "' follows it");
            }
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

    /**
     * The raw body. A body with a Content-Length was checked against the limit before any handler; one without (sent
     * chunked) is read only up to the limit, and a longer one is refused with 413 (Javalin checks only the header).
     */
    private static byte[] bodyBytes(Context ctx) {
        Long limit = ctx.attribute(BODY_LIMIT);
        if (limit == null || ctx.contentLength() >= 0) {
            return ctx.bodyAsBytes();
        }
        try (java.io.InputStream in = ctx.req().getInputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw new ApiException(413, "the request body is larger than this server's limit of " + limit
                        + " bytes");
            }
            return bytes;
        } catch (java.io.IOException e) {
            throw ApiException.badRequest("the body cannot be read: " + e.getMessage());
        }
    }

    /**
     * Generation settings: max_new_tokens (1..512, default 20), temperature (0 greedy), top_k, top_p, seed,
     * repetition_penalty (above 0, 1 is none) and stop (up to 8 strings that end a continuation).
     */
    static Generation generation(JsonNode body) {
        GenerationConfig.Builder b = GenerationConfig.builder()
                .maxNewTokens(integer(body, "max_new_tokens", 20, 1, 512));
        Double temperature = number(body, "temperature");
        if (temperature != null && temperature < 0) {
            throw ApiException.badRequest("'temperature' must be >= 0 (0 is greedy)");
        }
        boolean sample = temperature != null && temperature > 0;
        if (sample) {
            b.temperature(temperature);
            int k = integer(body, "top_k", 0, 0, 1_000_000);
            if (k > 0) {
                b.topK(k);
            }
            Double p = number(body, "top_p");
            if (p != null) {
                if (!(p > 0 && p <= 1)) {
                    throw ApiException.badRequest("'top_p' must be in (0, 1]");
                }
                b.topP(p);
            }
        } else {
            integer(body, "top_k", 0, 0, 1_000_000);
            number(body, "top_p");
        }
        JsonNode seed = body.get("seed");
        if (seed != null && !seed.isNull()) {
            if (!isIntegerIn(seed, Long.MIN_VALUE, Long.MAX_VALUE)) {
                throw ApiException.badRequest("'seed' must be an integer from " + Long.MIN_VALUE + " to "
                        + Long.MAX_VALUE + ", got " + seed);
            }
            b.seed(seed.longValue());
        }
        Double penalty = number(body, "repetition_penalty");
        if (penalty != null) {
            if (!(penalty > 0) || penalty > 100) {
                throw ApiException.badRequest("'repetition_penalty' must be above 0 and at most 100 (1 is none), got "
                        + penalty);
            }
            b.repetitionPenalty(penalty);
        }
        if (body.hasNonNull("stop")) {
            b.stopStrings(strings(body, "stop", null, "stop string", 8, 200));
        }
        return new Generation(b.build(), sample);
    }

    /** An integer path parameter; 400 naming it when it is not one. */
    static int pathInt(Context ctx, String param) {
        String v = ctx.pathParam(param);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("'" + param + "' must be an integer, got '" + v + "'");
        }
    }

    /** An integer query parameter in [min, max], or the fallback when absent; 400 naming it otherwise. */
    static int queryInt(Context ctx, String param, int fallback, int min, int max) {
        String v = ctx.queryParam(param);
        if (v == null || v.isEmpty()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // falls through to the 400
        }
        throw ApiException.badRequest("'" + param + "' must be an integer from " + min + " to " + max + ", got '" + v
                + "'");
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

    /** A boolean field, or null when absent; 400 when it is anything but true or false. */
    static Boolean bool(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest("'" + field + "' must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    static int integer(JsonNode node, String field, int fallback, int min, int max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!isIntegerIn(v, min, max)) {
            throw ApiException.badRequest("'" + field + "' must be an integer from " + min + " to " + max + ", got "
                    + v);
        }
        return v.intValue();
    }

    /**
     * Whether {@code v} is an integer (not a fraction or a string) from {@code min} to {@code max}; one beyond a
     * long is not (where {@link JsonNode#asLong()} would wrap it into range).
     */
    static boolean isIntegerIn(JsonNode v, long min, long max) {
        return v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= min && v.longValue() <= max;
    }

    /**
     * A number, or null when absent; 400 unless it is finite as a 32-bit float (what the model computes in), so
     * that no value becomes infinite when cast.
     */
    static Double number(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber() || !Float.isFinite((float) v.doubleValue())) {
            throw ApiException.badRequest("'" + field + "' must be a finite number of at most " + Float.MAX_VALUE
                    + " in magnitude (a 32-bit float), got " + v);
        }
        return v.doubleValue();
    }

    /** A non-empty list of texts from {@code many} (an array) or {@code one} (a string). */
    static List<String> texts(JsonNode node, String many, String one, int maxCount, int maxChars) {
        return strings(node, many, one, "text", maxCount, maxChars);
    }

    /**
     * A non-empty list of strings from {@code many} (an array) or {@code one} (a string); {@code noun} names one of
     * them in the errors ("text", "layer").
     */
    static List<String> strings(JsonNode node, String many, String one, String noun, int maxCount, int maxChars) {
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
                    + ": give at least one " + noun);
        }
        if (out.size() > maxCount) {
            throw ApiException.badRequest("at most " + maxCount + " " + noun + "s per request, got " + out.size());
        }
        for (String t : out) {
            if (t.isEmpty()) {
                throw ApiException.badRequest("'" + many + "': a " + noun + " must not be empty");
            }
            if (t.length() > maxChars) {
                throw ApiException.badRequest("'" + many + "': a " + noun + " may have at most " + maxChars
                        + " characters, got " + t.length());
            }
        }
        return out;
    }
}
