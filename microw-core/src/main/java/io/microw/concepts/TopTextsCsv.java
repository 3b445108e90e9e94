package io.microw.concepts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses mi-crow's top-texts CSV ({@link TopTextsExport#writeCsv}) into contexts per latent. The CSV has no text ids
 * and no windows: each context gets text id -1 and a window of its firing token alone, with its score.
 */
final class TopTextsCsv {

    private TopTextsCsv() {
    }

    static List<List<LatentContext>> parse(Path file, String text, int latents) {
        List<Csv.Record> records = Csv.parse(TopTextsJson.WHAT, file, text);
        List<String> header = records.get(0).fields();
        if (!String.join(",", header).equals(TopTextsFile.CSV_HEADER)) {
            throw new ConceptException(TopTextsJson.WHAT + " " + file + ": the header must be " + TopTextsFile.CSV_HEADER
                    + ", got " + String.join(",", header));
        }
        List<List<LatentContext>> out = new ArrayList<>(latents);
        for (int i = 0; i < latents; i++) {
            out.add(new ArrayList<>());
        }
        for (Csv.Record r : records.subList(1, records.size())) {
            List<String> f = r.fields();
            if (f.size() == 1 && f.get(0).isBlank()) {
                continue;
            }
            String at = TopTextsJson.WHAT + " " + file + ", line " + r.line() + ": ";
            if (f.size() != 5) {
                throw new ConceptException(at + "expected 5 fields (" + TopTextsFile.CSV_HEADER + "), got " + f.size());
            }
            int latent = (int) integer(at, "neuron_idx", f.get(0), latents - 1L);
            float score;
            try {
                score = Float.parseFloat(f.get(2));
            } catch (NumberFormatException e) {
                throw new ConceptException(at + "'score' must be a number, got '" + f.get(2) + "'");
            }
            int position = (int) integer(at, "token_idx", f.get(4), Integer.MAX_VALUE);
            String token = f.get(3);
            out.get(latent).add(new LatentContext(-1, f.get(1), position, token, score, List.of(token), position,
                    List.of(score)));
        }
        return out.stream().map(List::copyOf).toList();
    }

    private static long integer(String at, String name, String value, long max) {
        try {
            long v = Long.parseLong(value.strip());
            if (v >= 0 && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the error below
        }
        throw new ConceptException(at + "'" + name + "' must be an integer from 0 to " + max
                + ("neuron_idx".equals(name) ? " (the SAE has " + (max + 1) + " latents)" : "") + ", got '" + value + "'");
    }
}
