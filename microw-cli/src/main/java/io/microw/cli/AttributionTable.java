package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.io.PrintWriter;
import java.util.List;

/**
 * Prints the document of {@code microw attribute} as text: the method, the prompts and their metrics, the table (for
 * {@code atp} layers by positions or heads, and the exact table with the correlation under {@code --compare}; for
 * {@code ig} and {@code saliency} one line per token), the files.
 */
final class AttributionTable {

    private AttributionTable() {
    }

    /** Prints {@code doc}. */
    static void print(PrintWriter out, JsonNode doc) {
        out.println(doc.path("model").asText() + ": " + heading(doc) + ", metric " + doc.path("metric").asText());
        PatchTable.prompts(out, doc);
        if (doc.has("baseline_metric")) {
            out.println("baseline metric " + PatchTable.number(doc.path("baseline_metric")) + "; the attributions sum to "
                    + PatchTable.number(doc.path("sum")) + " (convergence delta "
                    + PatchTable.number(doc.path("convergence_delta")) + ")");
        }
        out.println();
        List<String> rows = PatchTable.strings(doc.path("rows"));
        List<String> columns = PatchTable.strings(doc.path("columns"));
        if (AttributionMethod.ATP.id().equals(doc.path("method").asText())) {
            PatchTable.grid(out, rows, columns, doc.path("values"));
            JsonNode exact = doc.path("exact");
            if (!exact.isMissingNode()) {
                out.println();
                out.println("exact " + doc.path("what").asText() + " patching (--compare):");
                PatchTable.grid(out, rows, columns, exact.path("values"));
                out.println();
                out.println("Pearson r " + PatchTable.number(exact.path("pearson")) + " ("
                        + exact.path("correlated").asText() + ")");
            }
        } else {
            ArrayNode perToken = Json.array();
            doc.path("values").get(0).forEach(v -> perToken.addArray().add(v));
            PatchTable.grid(out, columns, rows, perToken);
        }
        out.println();
        PatchTable.files(out, doc);
    }

    private static String heading(JsonNode doc) {
        AttributionMethod method = AttributionMethod.fromId(doc.path("method").asText());
        return method.title() + switch (method) {
            case ATP -> (doc.path("grad_drop").asBoolean() ? " with GradDrop (magnitudes)" : "") + " of "
                    + doc.path("what").asText();
            case IG -> " over the clean tokens, " + doc.path("steps").asInt() + " steps from "
                    + (AttributeCommand.ZERO.equals(doc.path("baseline").asText()) ? "a zero baseline"
                    : "the baseline token " + CliText.quoted(doc.path("baseline").asText()));
            case SALIENCY -> " over the clean tokens";
        };
    }
}
