package io.microw.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.data.DatasetOptions;
import io.microw.data.TextDataset;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a run was saved from, so that a resume can refuse other texts: the kind of source (the Brown corpus, a
 * file, a Hub dataset, texts given inline), which one (split, file name, repo id), the options that change the
 * texts (text column, lenient mode, limit...) and a SHA-256 over the first {@link #HASHED_ROWS} texts. It is
 * recorded in {@code meta.json} as {@code dataset.identity}:
 * <pre>
 * {"kind": "brown", "source": "validation", "options": {"limit": 200}, "first_rows": 64,
 *  "first_rows_sha256": "ab12..."}
 * </pre>
 * A file's identity holds its file name, not its path, so a store copied to another machine, with the file in
 * another folder, still resumes; the path is kept as a hint ({@code location}) that is not compared. The front ends
 * describe the source ({@link #of}, {@link #file}, {@link #hub}, {@link #withLimit}); the saving code adds the
 * hash of the texts it actually reads ({@link #withFirstRows}).
 */
public final class DatasetIdentity {

    /** How many texts, from the first, the hash covers. */
    public static final int HASHED_ROWS = 64;

    /** The kinds of source. */
    public enum Kind {
        /** The Brown corpus' sentences; the source is the split. */
        BROWN,
        /** A file (or folder) of texts; the source is its name. */
        FILE,
        /** A Hugging Face Hub dataset; the source is its repo id. */
        HUB,
        /** Texts given inline (a request's list, a Java list). */
        TEXTS,
        /** Any other {@link TextDataset}; the source is its description. */
        OTHER;

        /**
         * The name in {@code meta.json}.
         *
         * @return the constant in lower case
         */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Kind kind;
    private final String source;
    private final TreeMap<String, Object> options;
    private final int firstRows;
    private final String firstRowsSha256;
    private final String location;

    private DatasetIdentity(Kind kind, String source, TreeMap<String, Object> options, int firstRows,
                            String firstRowsSha256, String location) {
        this.kind = kind;
        this.source = source;
        this.options = options;
        this.firstRows = firstRows;
        this.firstRowsSha256 = firstRowsSha256;
        this.location = location;
    }

    /**
     * A source without options, its texts not hashed yet.
     *
     * @param kind   the kind of source
     * @param source which one: the Brown split, a file name, a repo id, "inline", a description
     * @return the identity
     */
    public static DatasetIdentity of(Kind kind, String source) {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(source, "source");
        return new DatasetIdentity(kind, source, new TreeMap<>(), 0, null, null);
    }

    /**
     * A file read with {@code read}: its name, text column, lenient mode and explicit format (if any); its path is
     * a hint.
     *
     * @param file the file or folder of texts
     * @param read the options it is read with
     * @return the identity, its texts not hashed yet
     */
    public static DatasetIdentity file(Path file, DatasetOptions read) {
        Path absolute = file.toAbsolutePath().normalize();
        Path name = absolute.getFileName();
        DatasetIdentity id = of(Kind.FILE, name == null ? absolute.toString() : name.toString()).readWith(read);
        return new DatasetIdentity(id.kind, id.source, id.options, 0, null, absolute.toString());
    }

    /**
     * A Hub dataset's split read with {@code read}.
     *
     * @param repo  the dataset's repo id, owner/name
     * @param split the split
     * @param read  the options it is read with
     * @return the identity, its texts not hashed yet
     */
    public static DatasetIdentity hub(String repo, String split, DatasetOptions read) {
        return of(Kind.HUB, repo).with("split", split).readWith(read);
    }

    private DatasetIdentity readWith(DatasetOptions read) {
        DatasetIdentity id = with("text_column", read.textColumn()).with("lenient", read.lenient());
        return read.format() == null ? id : id.with("format", read.format().name().toLowerCase(Locale.ROOT));
    }

    /**
     * The same source cut to its first {@code n} texts.
     *
     * @param n the limit, at least 1
     * @return the changed copy
     */
    public DatasetIdentity withLimit(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("a dataset limit must be at least 1, got " + n);
        }
        return with("limit", n);
    }

    private DatasetIdentity with(String option, Object value) {
        TreeMap<String, Object> copy = new TreeMap<>(options);
        copy.put(option, value);
        return new DatasetIdentity(kind, source, copy, firstRows, firstRowsSha256, location);
    }

    /**
     * The same source with the hash of the first {@link #HASHED_ROWS} texts of {@code texts} (fewer if it holds
     * fewer): SHA-256 over each text's UTF-8 length (4 bytes, big-endian) and bytes, in order.
     *
     * @param texts the texts that are saved
     * @return the changed copy
     */
    public DatasetIdentity withFirstRows(TextDataset texts) {
        List<String> first = new ArrayList<>(HASHED_ROWS);
        // read to the end of the limited dataset, so that its file is closed
        for (Iterator<List<String>> it = texts.limit(HASHED_ROWS).iterBatches(HASHED_ROWS); it.hasNext(); ) {
            first.addAll(it.next());
        }
        MessageDigest sha = sha256();
        for (String text : first) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
            sha.update(bytes);
        }
        return new DatasetIdentity(kind, source, options, first.size(), HexFormat.of().formatHex(sha.digest()),
                location);
    }

    /**
     * The kind of source.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Which source of its kind: a split, a file name, a repo id.
     *
     * @return the source
     */
    public String source() {
        return source;
    }

    /**
     * The hash of the first texts, once {@link #withFirstRows} has computed it.
     *
     * @return the hex SHA-256, or empty
     */
    public Optional<String> firstRowsSha256() {
        return Optional.ofNullable(firstRowsSha256);
    }

    /**
     * Whether both name the same texts: same kind, source, options and first rows (the location is a hint and
     * not compared).
     *
     * @param other another identity
     * @return true when a run saved from one may be resumed with the other
     */
    public boolean sameTexts(DatasetIdentity other) {
        return kind == other.kind && source.equals(other.source) && options.equals(other.options)
                && firstRows == other.firstRows && Objects.equals(firstRowsSha256, other.firstRowsSha256);
    }

    /**
     * The {@code dataset.identity} object of {@code meta.json}.
     *
     * @return {@code {kind, source, options, first_rows, first_rows_sha256}} and {@code location} for a file
     */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("kind", kind.id());
        n.put("source", source);
        ObjectNode opts = n.putObject("options");
        for (Map.Entry<String, Object> e : options.entrySet()) {
            if (e.getValue() instanceof Long l) {
                opts.put(e.getKey(), l);
            } else if (e.getValue() instanceof Boolean b) {
                opts.put(e.getKey(), b);
            } else {
                opts.put(e.getKey(), e.getValue().toString());
            }
        }
        n.put("first_rows", firstRows);
        n.put("first_rows_sha256", firstRowsSha256);
        if (location != null) {
            n.put("location", location);
        }
        return n;
    }

    /**
     * The identity a run's metadata records.
     *
     * @param identity the {@code dataset.identity} object of {@code meta.json} (missing in runs saved before it
     *                 was recorded)
     * @return the identity, or empty when none (or none of a known kind) is recorded
     */
    public static Optional<DatasetIdentity> fromJson(JsonNode identity) {
        if (identity == null || !identity.path("kind").isTextual() || !identity.path("source").isTextual()) {
            return Optional.empty();
        }
        Kind kind;
        try {
            kind = Kind.valueOf(identity.get("kind").asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        TreeMap<String, Object> options = new TreeMap<>();
        identity.path("options").fields().forEachRemaining(e -> options.put(e.getKey(),
                e.getValue().isIntegralNumber() ? (Object) e.getValue().asLong()
                        : e.getValue().isBoolean() ? (Object) e.getValue().asBoolean() : e.getValue().asText()));
        return Optional.of(new DatasetIdentity(kind, identity.get("source").asText(), options,
                identity.path("first_rows").asInt(), identity.path("first_rows_sha256").asText(null),
                identity.path("location").asText(null)));
    }

    /**
     * How messages name the texts.
     *
     * @return e.g. "brown validation (limit 200; first 64 rows sha256 ab12cd34ef56…)"
     */
    public String describe() {
        StringBuilder sb = new StringBuilder(kind.id()).append(' ').append(source).append(" (");
        options.forEach((k, v) -> sb.append(k.replace('_', ' ')).append(' ').append(v).append(", "));
        if (!options.isEmpty()) {
            sb.setLength(sb.length() - 2);
            sb.append("; ");
        }
        sb.append(firstRowsSha256 == null ? "texts not hashed"
                : "first " + firstRows + " rows sha256 " + firstRowsSha256.substring(0, 12) + "…");
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return describe();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
