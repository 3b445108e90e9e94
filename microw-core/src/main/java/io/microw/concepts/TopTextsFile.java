package io.microw.concepts;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;

/**
 * Top texts read back from a file that {@link TopTextsExport} wrote (or microw-spark's {@code top-texts}), for a
 * dashboard or the server. Two layouts are read, told apart by the content, not the file name:
 * <ul>
 *   <li>{@link Format#JSON}: microw's top-texts JSON (mi-crow's {@code {"<latent>": [{"text", "score", "token_str",
 *   "token_idx"}]}} with microw's {@code text_id}, {@code window}, {@code window_start} and
 *   {@code window_activations}): every context comes back as it was written.</li>
 *   <li>{@link Format#CSV}: mi-crow's CSV ({@code neuron_idx,text,score,token_str,token_idx}). It has no text ids and
 *   no windows: a context's text id is -1 and its window is the firing token alone, with its score.</li>
 * </ul>
 * A Neuronpedia batch file ({@link NeuronpediaExport}) is not read back (it lacks the texts, text ids and
 * positions). Each latent's contexts come strongest first (equal ones in the file's order); the files keep no
 * weakest firings.
 */
public final class TopTextsFile implements TopTextSource {

    /** The layouts {@link #read} understands. */
    public enum Format {
        /** microw's top-texts JSON: every field of a context. */
        JSON,
        /** mi-crow's top-texts CSV: no text ids, no windows. */
        CSV
    }

    /** The first line of mi-crow's top-texts CSV. */
    static final String CSV_HEADER = "neuron_idx,text,score,token_str,token_idx";

    private final Path file;
    private final Format format;
    private final List<List<LatentContext>> contexts;

    private TopTextsFile(Path file, Format format, List<List<LatentContext>> contexts) {
        this.file = file;
        this.format = format;
        this.contexts = contexts.stream().map(list -> list.stream()
                .sorted(Comparator.comparingDouble(LatentContext::activation).reversed()).toList()).toList();
    }

    /**
     * Reads a top-texts file for an SAE of {@code latents} latents.
     *
     * @param file    the JSON or CSV file
     * @param latents the SAE's latent count: a JSON file must hold exactly these latents, a CSV file no other
     * @return the contexts
     * @throws ConceptException when the file is missing, not UTF-8, in another layout, malformed (the message names
     *                          the file, the latent, the field and what was expected), or for another latent count
     */
    public static TopTextsFile read(Path file, int latents) {
        if (latents <= 0) {
            throw new IllegalArgumentException("latents must be >= 1, got " + latents);
        }
        String text = Utf8File.read(TopTextsJson.WHAT, file);
        String start = text.stripLeading();
        if (start.startsWith("{")) {
            return new TopTextsFile(file, Format.JSON, TopTextsJson.parse(file, text, latents));
        }
        if (start.startsWith("[")) {
            throw new ConceptException(TopTextsJson.WHAT + " " + file + " is a JSON array, which is not read back: it lacks the texts, text ids and positions; export the top texts "
                    + "as JSON (an object {\"<latent>\": [contexts]}) or CSV");
        }
        if (start.startsWith(CSV_HEADER)) {
            return new TopTextsFile(file, Format.CSV, TopTextsCsv.parse(file, text, latents));
        }
        String first = start.lines().findFirst().orElse("");
        throw new ConceptException(TopTextsJson.WHAT + " " + file + ": expected microw's top-texts JSON (an object "
                + "{\"<latent>\": [contexts]}) or mi-crow's top-texts CSV (header " + CSV_HEADER + "), but it starts with '"
                + (first.length() > 60 ? first.substring(0, 60) + "..." : first) + "'");
    }

    /**
     * The file the contexts were read from.
     *
     * @return the file
     */
    public Path file() {
        return file;
    }

    /**
     * The file's layout.
     *
     * @return JSON or CSV
     */
    public Format format() {
        return format;
    }

    /**
     * Whether the contexts have their windows and text ids (JSON), or only the firing token (CSV).
     *
     * @return true for JSON
     */
    public boolean hasWindows() {
        return format == Format.JSON;
    }

    @Override
    public int latents() {
        return contexts.size();
    }

    @Override
    public List<LatentContext> topTexts(int latent) {
        if (latent < 0 || latent >= contexts.size()) {
            throw new ConceptException("latent index " + latent + " is out of range: " + file + " has latents 0.."
                    + (contexts.size() - 1));
        }
        return contexts.get(latent);
    }
}
