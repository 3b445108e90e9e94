package io.microw.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.MicrowException;
import io.microw.concepts.LatentSummary;
import io.microw.concepts.LatentSummaryFile;
import io.microw.concepts.TopTextsFile;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * POST /api/saes/{id}/top-texts with {@code "path"}: top texts read from an exported file in the server's file roots
 * (microw's top-texts JSON, or mi-crow's CSV without windows), with firing statistics from {@code "statistics"} (the
 * JSON {@code microw spark stats} writes) when given.
 */
final class TopTextsImport {

    private TopTextsImport() {
    }

    /**
     * Reads the files a request names; 400 for options that only computing takes or for a file that cannot be read
     * (the message names the file as responses show it), 403 outside the roots, 404 when a file is missing.
     */
    static SaeRegistry.TopTexts read(ObjectNode body, int latents, ServerConfig config) {
        for (String option : List.of("top_k", "window", "limit")) {
            if (body.has(option)) {
                throw ApiException.badRequest("'" + option + "' does not go with 'path': an imported file keeps the "
                        + "contexts it was written with");
            }
        }
        Path texts = file(body, "path", config);
        Path statistics = body.hasNonNull("statistics") ? file(body, "statistics", config) : null;
        String shown = PathGuard.display(texts, config);
        try {
            TopTextsFile top = TopTextsFile.read(texts, latents);
            LatentSummary stats = statistics == null ? null : LatentSummaryFile.read(statistics, latents);
            return new SaeRegistry.TopTexts(top, stats, -1, shown);
        } catch (MicrowException | IllegalArgumentException | UncheckedIOException ex) {
            throw ApiException.badRequest("cannot import the top texts " + shown + ": "
                    + PathGuard.redact(ex.getMessage(), config));
        }
    }

    private static Path file(ObjectNode body, String field, ServerConfig config) {
        Path file = PathGuard.confine(Requests.text(body, field, true), config.allFileRoots(), field);
        if (!Files.isRegularFile(file)) {
            throw ApiException.notFound("'" + field + "': no file at " + PathGuard.display(file, config));
        }
        return file;
    }
}
