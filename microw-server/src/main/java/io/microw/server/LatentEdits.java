package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.microw.concepts.AutoencoderConcepts;
import io.microw.steering.PositionScope;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SAE latent edits of a steering request or a manipulation config: {@code [{"latent", "op": "scale"|"add"|"clamp",
 * "value"}]} and the positions they apply to ({@code "scope": "all"|"prompt"|"generated"}).
 *
 * @param edits the edits, in order
 * @param scope the token positions they apply to
 */
record LatentEdits(List<Edit> edits, PositionScope scope) {

    static final int MAX_EDITS = 64;

    /**
     * One edit of one latent's code.
     *
     * @param latent the latent's index
     * @param op scale, add or clamp
     * @param value the factor, amount or pinned value
     */
    record Edit(int latent, String op, double value) {
    }

    /** Parses {@code edits} and {@code scope} of a body, checking every latent against the SAE's {@code nLatents}. */
    static LatentEdits parse(JsonNode body, int nLatents) {
        JsonNode arr = body.get("edits");
        if (arr == null || !arr.isArray() || arr.isEmpty() || arr.size() > MAX_EDITS) {
            throw ApiException.badRequest("'edits' must be an array of 1 to " + MAX_EDITS + " objects {\"latent\", "
                    + "\"op\": \"scale\"|\"add\"|\"clamp\", \"value\"}");
        }
        List<Edit> edits = new ArrayList<>();
        for (JsonNode e : arr) {
            if (!e.isObject()) {
                throw ApiException.badRequest("each of 'edits' must be an object {\"latent\", \"op\", \"value\"}");
            }
            JsonNode latent = e.get("latent");
            if (latent == null || !Requests.isIntegerIn(latent, 0, nLatents - 1)) {
                throw ApiException.badRequest("'edits[].latent' must be an integer from 0 to " + (nLatents - 1)
                        + ", got " + latent);
            }
            String op = Requests.text(e, "op", true);
            if (!op.equals("scale") && !op.equals("add") && !op.equals("clamp")) {
                throw ApiException.badRequest("'edits[].op' must be \"scale\", \"add\" or \"clamp\", got '" + op + "'");
            }
            Double value = Requests.number(e, "value");
            if (value == null) {
                throw ApiException.badRequest("'edits[].value' must be a finite number");
            }
            edits.add(new Edit(latent.intValue(), op, value));
        }
        return new LatentEdits(List.copyOf(edits), scope(Requests.text(body, "scope", false)));
    }

    private static PositionScope scope(String given) {
        if (given == null) {
            return PositionScope.ALL;
        }
        return switch (given) {
            case "all" -> PositionScope.ALL;
            case "prompt" -> PositionScope.PROMPT;
            case "generated" -> PositionScope.GENERATED;
            default -> throw ApiException.badRequest("'scope' must be \"all\", \"prompt\" or \"generated\", got '"
                    + given + "'");
        };
    }

    /** The scope as the API names it. */
    String scopeName() {
        return scope.name().toLowerCase(Locale.ROOT);
    }

    /** The edits as the API writes them. */
    ArrayNode toJson() {
        ArrayNode arr = Json.array();
        for (Edit e : edits) {
            arr.addObject().put("latent", e.latent()).put("op", e.op()).put("value", e.value());
        }
        return arr;
    }

    /** Sets these edits and the scope on an attached SAE's concepts (after resetting earlier manipulations). */
    void applyTo(AutoencoderConcepts concepts) {
        concepts.resetManipulations();
        for (Edit e : edits) {
            switch (e.op()) {
                case "scale" -> concepts.manipulateConcept(e.latent(), e.value());
                case "add" -> concepts.addToConcept(e.latent(), e.value());
                default -> concepts.clampConcept(e.latent(), e.value());
            }
        }
        concepts.setPositionScope(scope);
    }
}
