package io.microw.concepts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.microw.io.JsonMapper;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Parses microw's top-texts JSON ({@link TopTextsExport#writeJson}) into contexts per latent, checking every field. */
final class TopTextsJson {

    /** What the file is called in messages. */
    static final String WHAT = "top-texts file";

    private static final ObjectReader JSON = JsonMapper.strict();

    private TopTextsJson() {
    }

    static List<List<LatentContext>> parse(Path file, String text, int latents) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConceptException(WHAT + " " + file + " is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"), e);
        }
        if (root.has("features") && root.has("model_id")) {
            throw new ConceptException(WHAT + " " + file + " is a Neuronpedia batch file (model_id, features), which is "
                    + "not read back: it lacks the texts, text ids and positions; export the top texts as JSON (an object "
                    + "{\"<latent>\": [contexts]}) or CSV");
        }
        if (root.size() != latents) {
            throw new ConceptException(WHAT + " " + file + " holds " + root.size() + " latents; the SAE has " + latents
                    + " (a top-texts JSON lists every latent, \"0\" to \"" + (latents - 1) + "\")");
        }
        List<List<LatentContext>> out = new ArrayList<>(latents);
        for (int i = 0; i < latents; i++) {
            out.add(null);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int latent = latentKey(file, e.getKey(), latents);
            Place at = new Place(file, e.getKey(), -1);
            if (!e.getValue().isArray()) {
                throw at.error("must be an array of contexts, got " + kind(e.getValue()));
            }
            List<LatentContext> contexts = new ArrayList<>(e.getValue().size());
            for (JsonNode c : e.getValue()) {
                contexts.add(context(new Place(file, e.getKey(), contexts.size()), c));
            }
            out.set(latent, List.copyOf(contexts));
        }
        return List.copyOf(out);
    }

    private static int latentKey(Path file, String key, int latents) {
        try {
            int latent = Integer.parseInt(key);
            if (latent >= 0 && latent < latents && Integer.toString(latent).equals(key)) {
                return latent;
            }
        } catch (NumberFormatException e) {
            // the error below
        }
        throw new ConceptException(WHAT + " " + file + ": key \"" + key + "\" is not a latent index; expected \"0\" to \""
                + (latents - 1) + "\" (the SAE has " + latents + " latents)");
    }

    private static LatentContext context(Place at, JsonNode c) {
        if (!c.isObject()) {
            throw at.error("must be an object {\"text\", \"score\", \"token_str\", \"token_idx\", \"text_id\", "
                    + "\"window\", \"window_start\", \"window_activations\"}, got " + kind(c));
        }
        String text = string(at, c, "text");
        float score = number(at, c, "score");
        String token = string(at, c, "token_str");
        int position = (int) integer(at, c, "token_idx", Integer.MAX_VALUE);
        long textId = integer(at, c, "text_id", Long.MAX_VALUE);
        int windowStart = (int) integer(at, c, "window_start", position);
        List<String> window = new ArrayList<>();
        for (JsonNode t : array(at, c, "window")) {
            if (!t.isTextual()) {
                throw at.error("'window' must be an array of strings (the tokens), got an element " + kind(t));
            }
            window.add(t.textValue());
        }
        List<Float> activations = new ArrayList<>();
        for (JsonNode v : array(at, c, "window_activations")) {
            if (!v.isNumber()) {
                throw at.error("'window_activations' must be an array of numbers, got an element " + kind(v));
            }
            activations.add(v.floatValue());
        }
        if (activations.size() != window.size()) {
            throw at.error("'window_activations' has " + activations.size() + " values; expected one per token of "
                    + "'window' (" + window.size() + ")");
        }
        int center = position - windowStart;
        if (center >= window.size() || !window.get(center).equals(token)) {
            throw at.error("'window' at token_idx - window_start (" + center + ") must be the token " + quote(token)
                    + ", got " + (center >= window.size() ? "a window of " + window.size() + " tokens"
                    : quote(window.get(center))));
        }
        return new LatentContext(textId, text, position, token, score, List.copyOf(window), windowStart,
                List.copyOf(activations));
    }

    private static JsonNode field(Place at, JsonNode c, String name) {
        JsonNode v = c.get(name);
        if (v == null || v.isNull()) {
            throw at.error("missing field '" + name + "'");
        }
        return v;
    }

    private static String string(Place at, JsonNode c, String name) {
        JsonNode v = field(at, c, name);
        if (!v.isTextual()) {
            throw at.error("'" + name + "' must be a string, got " + kind(v));
        }
        return v.textValue();
    }

    private static float number(Place at, JsonNode c, String name) {
        JsonNode v = field(at, c, name);
        if (!v.isNumber()) {
            throw at.error("'" + name + "' must be a number, got " + kind(v));
        }
        return v.floatValue();
    }

    private static long integer(Place at, JsonNode c, String name, long max) {
        JsonNode v = field(at, c, name);
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0 || v.longValue() > max) {
            throw at.error("'" + name + "' must be an integer from 0 to " + max + ", got " + kind(v));
        }
        return v.longValue();
    }

    private static JsonNode array(Place at, JsonNode c, String name) {
        JsonNode v = field(at, c, name);
        if (!v.isArray()) {
            throw at.error("'" + name + "' must be an array, got " + kind(v));
        }
        return v;
    }

    private static String kind(JsonNode v) {
        String shown = v.toString();
        return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " "
                + (shown.length() > 40 ? shown.substring(0, 40) + "..." : shown);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    /** Where in the file a value is: the latent's key and the context's index (-1: the latent's list itself). */
    private record Place(Path file, String key, int context) {
        ConceptException error(String what) {
            return new ConceptException(WHAT + " " + file + ", latent \"" + key + "\""
                    + (context < 0 ? "" : ", context " + context) + ": " + what);
        }
    }
}
