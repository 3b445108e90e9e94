package io.microw.concepts;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.io.JsonMapper;
import io.microw.sae.Sae;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One concept per SAE latent: a name, a description and a score (how well the name fits, e.g. an F1), plus an
 * optional source (what produced it: {@code "labelled-discovery"}, {@code "manual"}, ...). Latents without a
 * concept have none; the dictionary knows its latent count and refuses indices outside {@code [0, nLatents)}.
 *
 * <h2>Files (mi-crow's formats)</h2>
 * <b>JSON</b>, as mi-crow's {@code ConceptDictionary.save} writes it ({@code concepts.json}):
 * <pre>{"n_size": 4096,
 *  "concepts": {"12": {"name": "noun", "score": 0.81}, ...},
 *  "details":  {"12": {"description": "P=0.80 R=0.83", "source": "labelled-discovery"}}}</pre>
 * {@code details} is microw's addition for the description and source; mi-crow ignores unknown top-level keys, so
 * it still loads these files. On reading, a concept may also be a list of {@code {"name","score"}} objects (mi-crow's
 * older several-concepts-per-neuron format; the highest score is kept), and the whole file may be the bare
 * {@code {"<idx>": {...}}} map that mi-crow's {@code ConceptDictionary.from_json} reads (no {@code n_size}: the latent
 * count must then be given).
 * <p>
 * <b>CSV</b>, as mi-crow's {@code ConceptDictionary.from_csv} reads it: a header naming the columns
 * {@code neuron_idx,concept_name,score} (any order); microw writes two more columns, {@code description,source},
 * which mi-crow's {@code csv.DictReader} ignores. RFC 4180 quoting. A CSV has no latent count: it must be given.
 * <p>
 * Validation: a file for a different latent count, an index out of range, a non-integer index, a missing or
 * non-finite score (mi-crow's Python writes {@code NaN} happily), a blank name, or a latent listed twice is an error
 * naming the file, the line or key, and the expected range. mi-crow itself keeps the highest-scoring row when a CSV
 * lists a neuron twice; {@link Duplicates#KEEP_HIGHEST_SCORE} does the same, the default {@link Duplicates#REJECT}
 * refuses. Saves are atomic (a temporary file in the same directory, then a rename).
 */
public final class ConceptDictionary {

    /** The concept of one latent. {@code description} is never null (empty when none); {@code source} may be. */
    public record Concept(int latent, String name, String description, double score, String source) {
    }

    /** What loading does when a file names the same latent twice. */
    public enum Duplicates {
        /** An error naming both places (default). */
        REJECT,
        /** Keep the entry with the highest score, as mi-crow's {@code from_csv} does. */
        KEEP_HIGHEST_SCORE
    }

    /** The file name of a dictionary in a folder: {@link #load(Path)} of a folder reads it, an SAE's folder may hold one. */
    public static final String FILE_NAME = "concepts.json";

    /** Column names of mi-crow's CSV, then microw's two extra ones. */
    public static final String COL_INDEX = "neuron_idx";
    /** CSV column of the concept's name. */
    public static final String COL_NAME = "concept_name";
    /** CSV column of the concept's score. */
    public static final String COL_SCORE = "score";
    /** CSV column of the concept's description (microw's addition). */
    public static final String COL_DESCRIPTION = "description";
    /** CSV column of the concept's source (microw's addition). */
    public static final String COL_SOURCE = "source";

    private static final ObjectMapper JSON = JsonMapper.mapper();
    private static final ObjectReader READER = JSON.reader()
            .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .with(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS);

    private final int nLatents;
    private final TreeMap<Integer, Concept> concepts = new TreeMap<>();
    private Path origin;

    /**
     * An empty dictionary for an SAE with {@code nLatents} latents.
     *
     * @param nLatents the SAE's latent count, at least 1
     */
    public ConceptDictionary(int nLatents) {
        if (nLatents <= 0) {
            throw new IllegalArgumentException("a concept dictionary needs a positive latent count, got " + nLatents);
        }
        this.nLatents = nLatents;
    }

    /**
     * An empty dictionary for an SAE with {@code nLatents} latents (e.g. {@code sae.dSae()}).
     *
     * @param nLatents the SAE's latent count, at least 1
     * @return the new dictionary
     */
    public static ConceptDictionary forLatents(int nLatents) {
        return new ConceptDictionary(nLatents);
    }

    /**
     * Number of latents of the SAE this dictionary is for.
     *
     * @return the latent count
     */
    public int dSae() {
        return nLatents;
    }

    /**
     * Number of latents that have a concept.
     *
     * @return the number of concepts
     */
    public int size() {
        return concepts.size();
    }

    /**
     * Whether no latent has a concept.
     *
     * @return true when the dictionary is empty
     */
    public boolean isEmpty() {
        return concepts.isEmpty();
    }

    /**
     * The file this dictionary was last loaded from or saved to, if any.
     *
     * @return the file, or empty
     */
    public Optional<Path> origin() {
        return Optional.ofNullable(origin);
    }

    /**
     * The concept of {@code latent}, or empty when it has none; an index out of range is an error.
     *
     * @param latent the latent's index
     * @return the concept, or empty
     */
    public Optional<Concept> get(int latent) {
        checkLatent(latent);
        return Optional.ofNullable(concepts.get(latent));
    }

    /**
     * Names {@code latent} (replacing any earlier concept); returns the new concept.
     *
     * @param latent the latent's index
     * @param name the concept's name
     * @param description a longer description, may be empty
     * @param score how well the name fits
     * @return the new concept
     */
    public Concept set(int latent, String name, String description, double score) {
        return set(latent, name, description, score, null);
    }

    /**
     * Names {@code latent} with a source (e.g. {@code "labelled-discovery"}); returns the new concept.
     *
     * @param latent the latent's index
     * @param name the concept's name
     * @param description a longer description, may be empty
     * @param score how well the name fits
     * @param source where the name came from
     * @return the new concept
     */
    public Concept set(int latent, String name, String description, double score, String source) {
        checkLatent(latent);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("latent " + latent + ": a concept name must not be blank");
        }
        if (!Double.isFinite(score)) {
            throw new IllegalArgumentException("latent " + latent + " ('" + name + "'): the score must be finite, got "
                    + score);
        }
        Concept c = new Concept(latent, name, description == null ? "" : description, score, source);
        concepts.put(latent, c);
        return c;
    }

    /**
     * Removes the concept of {@code latent}; returns whether it had one.
     *
     * @param latent the latent's index
     * @return whether it had a concept
     */
    public boolean remove(int latent) {
        checkLatent(latent);
        return concepts.remove(latent) != null;
    }

    /**
     * All concepts, by latent.
     *
     * @return the concepts, ordered by latent
     */
    public List<Concept> concepts() {
        return List.copyOf(concepts.values());
    }

    /**
     * Concepts whose name contains {@code nameSubstring} (case-insensitive), by latent.
     *
     * @param nameSubstring the text to look for
     * @return the matching concepts, ordered by latent
     */
    public List<Concept> find(String nameSubstring) {
        Objects.requireNonNull(nameSubstring, "nameSubstring");
        String needle = nameSubstring.toLowerCase(Locale.ROOT);
        List<Concept> out = new ArrayList<>();
        for (Concept c : concepts.values()) {
            if (c.name().toLowerCase(Locale.ROOT).contains(needle)) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Checks that this dictionary fits an SAE with {@code expectedLatents} latents (e.g. {@code sae.dSae()});
     * returns this.
     *
     * @param expectedLatents the SAE's latent count
     * @return this dictionary
     */
    public ConceptDictionary validate(int expectedLatents) {
        if (expectedLatents != nLatents) {
            throw new ConceptException("concept dictionary" + from() + " is for " + nLatents + " latents, but the SAE "
                    + "has " + expectedLatents + " latents (indices 0.." + (expectedLatents - 1) + ")");
        }
        return this;
    }

    private void checkLatent(int latent) {
        if (latent < 0 || latent >= nLatents) {
            throw new ConceptException("latent " + latent + " is out of range for concept dictionary" + from()
                    + ": expected 0.." + (nLatents - 1) + " (" + nLatents + " latents)");
        }
    }

    private String from() {
        return origin == null ? "" : " " + origin;
    }

    // ---- loading ------------------------------------------------------------------------------------------------

    /**
     * Loads a JSON file that states its latent count ({@code n_size}); a directory means its {@code concepts.json}.
     * A CSV, or a JSON without {@code n_size}, needs {@link #load(Path, int)}.
     *
     * @param file a JSON file, or a directory holding {@code concepts.json}
     * @return the dictionary
     */
    public static ConceptDictionary load(Path file) {
        return load(file, -1, Duplicates.REJECT);
    }

    /**
     * Loads a JSON or CSV file (by extension) for an SAE with {@code nLatents} latents, refusing duplicates.
     *
     * @param file a JSON or CSV file
     * @param nLatents the SAE's latent count
     * @return the dictionary
     */
    public static ConceptDictionary load(Path file, int nLatents) {
        return load(file, nLatents, Duplicates.REJECT);
    }

    /**
     * Loads a JSON or CSV file (by extension; a directory means its {@code concepts.json}) for an SAE with
     * {@code nLatents} latents ({@code -1}: take the JSON's {@code n_size}).
     *
     * @param file a JSON or CSV file, or a directory holding {@code concepts.json}
     * @param nLatents the SAE's latent count, or -1
     * @param duplicates what to do when a latent appears twice
     * @return the dictionary
     */
    public static ConceptDictionary load(Path file, int nLatents, Duplicates duplicates) {
        Objects.requireNonNull(file, "file");
        Path path = Files.isDirectory(file) ? file.resolve(FILE_NAME) : file;
        String text = Utf8File.read("concept file", path);
        ConceptDictionary d = switch (format(path)) {
            case "json" -> parseJson(path, text, nLatents, duplicates);
            default -> parseCsv(path, text, nLatents, duplicates);
        };
        d.origin = path;
        return d;
    }

    /**
     * The dictionary shipped beside an SAE: the {@value #FILE_NAME} in its folder, checked against its latent count;
     * empty when the folder holds none.
     *
     * @param saeFolder the SAE's folder
     * @param nLatents  the SAE's latent count
     * @return the dictionary, or empty
     */
    public static Optional<ConceptDictionary> besideSae(Path saeFolder, int nLatents) {
        Path file = saeFolder.resolve(FILE_NAME);
        return Files.isRegularFile(file) ? Optional.of(load(file, nLatents)) : Optional.empty();
    }

    /**
     * The dictionary that came with an SAE loaded by release ({@code Sae.fromPretrained}): the one its release ships
     * beside it (the embedded {@code brown-gpt2-res} does); empty for an SAE not loaded by release or a release
     * without one.
     *
     * @param sae the SAE
     * @return the dictionary, or empty
     */
    public static Optional<ConceptDictionary> ofPretrained(Sae sae) {
        return sae.pretrained().flatMap(p -> besideSae(p.folder(), sae.dSae()));
    }

    private static String format(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) {
            return "json";
        }
        if (name.endsWith(".csv")) {
            return "csv";
        }
        throw new ConceptException("concept file " + path + ": unknown format; the name must end in .json or .csv");
    }

    /** Collects entries, applying the range check and the duplicate policy. */
    private static final class Builder {
        final Path path;
        final int n;
        final Duplicates duplicates;
        final ConceptDictionary dict;
        final Map<Integer, String> where = new TreeMap<>();

        Builder(Path path, int n, Duplicates duplicates) {
            this.path = path;
            this.n = n;
            this.duplicates = duplicates;
            this.dict = new ConceptDictionary(n);
        }

        void add(int latent, String name, String description, double score, String source, String place) {
            if (latent < 0 || latent >= n) {
                throw new ConceptException("concept file " + path + ", " + place + ": latent index " + latent
                        + " is out of range: expected 0.." + (n - 1) + " (" + n + " latents)");
            }
            if (name == null || name.isBlank()) {
                throw new ConceptException("concept file " + path + ", " + place + ": latent " + latent
                        + " has a blank name");
            }
            if (!Double.isFinite(score)) {
                throw new ConceptException("concept file " + path + ", " + place + ": latent " + latent + " ('" + name
                        + "') has a non-finite score " + score + "; scores must be finite numbers");
            }
            Concept old = dict.concepts.get(latent);
            if (old != null) {
                if (duplicates == Duplicates.REJECT) {
                    throw new ConceptException("concept file " + path + ": latent " + latent + " appears twice ("
                            + where.get(latent) + " and " + place + "); a latent has one concept (load with "
                            + "Duplicates.KEEP_HIGHEST_SCORE to keep the best, as mi-crow does)");
                }
                if (score <= old.score()) {
                    return;
                }
            }
            where.put(latent, place);
            dict.set(latent, name, description, score, source);
        }
    }

    private static ConceptDictionary parseJson(Path path, String text, int nLatents, Duplicates duplicates) {
        JsonNode root;
        try {
            root = READER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConceptException("concept file " + path + " is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ConceptException("concept file " + path + ": expected a JSON object {\"n_size\": N, "
                    + "\"concepts\": {\"<latent>\": {\"name\", \"score\"}}}");
        }
        JsonNode entries;
        JsonNode details = null;
        int n = nLatents;
        if (root.has("concepts")) {
            entries = root.get("concepts");
            if (!entries.isObject()) {
                throw new ConceptException("concept file " + path + ": \"concepts\" must be an object mapping latent "
                        + "indices to {\"name\", \"score\"}");
            }
            JsonNode size = root.get("n_size");
            if (size != null && !size.isNull()) {
                if (!size.canConvertToInt() || !size.isIntegralNumber() || size.intValue() <= 0) {
                    throw new ConceptException("concept file " + path + ": \"n_size\" must be a positive integer, got "
                            + size);
                }
                if (nLatents >= 0 && size.intValue() != nLatents) {
                    throw new ConceptException("concept file " + path + " is for " + size.intValue() + " latents "
                            + "(n_size), but the SAE has " + nLatents + " latents (indices 0.." + (nLatents - 1) + ")");
                }
                n = size.intValue();
            }
            details = root.get("details");
            if (details != null && !details.isNull() && !details.isObject()) {
                throw new ConceptException("concept file " + path + ": \"details\" must be an object");
            }
        } else {
            entries = root; // mi-crow's from_json: the bare {"<idx>": {...}} map
        }
        if (n < 0) {
            throw new ConceptException("concept file " + path + " does not say its latent count (no \"n_size\"); "
                    + "load it with load(file, sae.dSae())");
        }
        Builder b = new Builder(path, n, duplicates);
        Iterator<Map.Entry<String, JsonNode>> it = entries.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            String place = "key \"" + key + "\"";
            int latent = parseIndex(path, key, place);
            JsonNode v = e.getValue();
            JsonNode best = null;
            double bestScore = Double.NEGATIVE_INFINITY;
            if (v.isArray()) {
                for (JsonNode c : v) {
                    double s = jsonScore(path, c, place);
                    if (best == null || s > bestScore) {
                        best = c;
                        bestScore = s;
                    }
                }
                if (best == null) {
                    continue; // an empty list: mi-crow skips it too
                }
            } else {
                best = v;
                bestScore = jsonScore(path, v, place);
            }
            JsonNode name = best.get("name");
            if (name == null || !name.isTextual()) {
                throw new ConceptException("concept file " + path + ", " + place + ": \"name\" must be a string");
            }
            String description = "";
            String source = null;
            JsonNode detail = details == null ? null : details.get(key);
            if (detail != null && detail.isObject()) {
                description = detail.path("description").asText("");
                source = detail.hasNonNull("source") ? detail.get("source").asText() : null;
            }
            b.add(latent, name.asText(), description, bestScore, source, place);
        }
        return b.dict;
    }

    private static double jsonScore(Path path, JsonNode concept, String place) {
        if (concept == null || !concept.isObject()) {
            throw new ConceptException("concept file " + path + ", " + place + ": a concept must be an object "
                    + "{\"name\": ..., \"score\": ...}, got " + concept);
        }
        JsonNode s = concept.get("score");
        if (s == null || s.isNull()) {
            throw new ConceptException("concept file " + path + ", " + place + ": the concept has no \"score\"");
        }
        if (s.isNumber()) {
            return s.doubleValue();
        }
        if (s.isTextual()) {
            return parseScore(path, s.asText(), place);
        }
        throw new ConceptException("concept file " + path + ", " + place + ": \"score\" must be a number, got " + s);
    }

    private static int parseIndex(Path path, String text, String place) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new ConceptException("concept file " + path + ", " + place + ": the latent index '" + text
                    + "' is not an integer");
        }
    }

    private static double parseScore(Path path, String text, String place) {
        String t = text.trim();
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            if (t.equalsIgnoreCase("nan") || t.equalsIgnoreCase("inf") || t.equalsIgnoreCase("-inf")) {
                return Double.NaN;
            }
            throw new ConceptException("concept file " + path + ", " + place + ": the score '" + text
                    + "' is not a number");
        }
    }

    private static ConceptDictionary parseCsv(Path path, String text, int nLatents, Duplicates duplicates) {
        if (nLatents < 0) {
            throw new ConceptException("concept file " + path + " is a CSV, which does not say its latent count; "
                    + "load it with load(file, sae.dSae())");
        }
        List<Csv.Record> records = Csv.parse("concept file", path, text);
        if (records.isEmpty()) {
            throw new ConceptException("concept file " + path + " is empty: expected the header "
                    + COL_INDEX + "," + COL_NAME + "," + COL_SCORE);
        }
        List<String> header = records.get(0).fields();
        int iIdx = header.indexOf(COL_INDEX);
        int iName = header.indexOf(COL_NAME);
        int iScore = header.indexOf(COL_SCORE);
        int iDesc = header.indexOf(COL_DESCRIPTION);
        int iSource = header.indexOf(COL_SOURCE);
        if (iIdx < 0 || iName < 0 || iScore < 0) {
            throw new ConceptException("concept file " + path + ": the header " + header + " lacks the columns "
                    + COL_INDEX + ", " + COL_NAME + " and " + COL_SCORE + " (mi-crow's CSV format)");
        }
        Builder b = new Builder(path, nLatents, duplicates);
        for (Csv.Record r : records.subList(1, records.size())) {
            List<String> f = r.fields();
            if (f.size() == 1 && f.get(0).isBlank()) {
                continue; // a blank line
            }
            String place = "line " + r.line();
            if (f.size() != header.size()) {
                throw new ConceptException("concept file " + path + ", " + place + ": expected " + header.size()
                        + " fields as in the header, found " + f.size());
            }
            int latent = parseIndex(path, f.get(iIdx), place);
            double score = parseScore(path, f.get(iScore), place);
            String source = iSource >= 0 && !f.get(iSource).isEmpty() ? f.get(iSource) : null;
            b.add(latent, f.get(iName), iDesc >= 0 ? f.get(iDesc) : "", score, source, place);
        }
        return b.dict;
    }

    // ---- saving -------------------------------------------------------------------------------------------------

    /**
     * Saves as JSON or CSV by the file's extension (a directory: its {@code concepts.json}), atomically.
     *
     * @param file the file or directory to write
     */
    public void save(Path file) {
        Objects.requireNonNull(file, "file");
        Path path = Files.isDirectory(file) ? file.resolve(FILE_NAME) : file;
        if (format(path).equals("json")) {
            saveJson(path);
        } else {
            saveCsv(path);
        }
    }

    /**
     * Saves mi-crow's JSON ({@code n_size}, {@code concepts}) plus microw's {@code details}, atomically.
     *
     * @param file the file to write
     */
    public void saveJson(Path file) {
        ObjectNode root = JSON.createObjectNode();
        root.put("n_size", nLatents);
        ObjectNode cs = root.putObject("concepts");
        ObjectNode ds = JSON.createObjectNode();
        for (Concept c : concepts.values()) {
            ObjectNode o = cs.putObject(Integer.toString(c.latent()));
            o.put("name", c.name());
            o.put("score", c.score());
            if (!c.description().isEmpty() || c.source() != null) {
                ObjectNode d = ds.putObject(Integer.toString(c.latent()));
                d.put("description", c.description());
                if (c.source() != null) {
                    d.put("source", c.source());
                }
            }
        }
        root.set("details", ds);
        try {
            writeAtomically(file, JsonMapper.pretty().writeValueAsBytes(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize concept dictionary", e);
        }
        origin = file;
    }

    /**
     * Saves mi-crow's CSV columns plus {@code description,source}, atomically.
     *
     * @param file the file to write
     */
    public void saveCsv(Path file) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join(",", COL_INDEX, COL_NAME, COL_SCORE, COL_DESCRIPTION, COL_SOURCE)).append("\r\n");
        for (Concept c : concepts.values()) {
            sb.append(c.latent()).append(',').append(Csv.quote(c.name())).append(',').append(c.score()).append(',')
                    .append(Csv.quote(c.description())).append(',')
                    .append(Csv.quote(c.source() == null ? "" : c.source())).append("\r\n");
        }
        writeAtomically(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        origin = file;
    }

    private static void writeAtomically(Path file, byte[] bytes) {
        try {
            AtomicFiles.writeBytes(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write concept file: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "ConceptDictionary[" + concepts.size() + " of " + nLatents + " latents named" + from() + "]";
    }
}
