package io.microw.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.JsonMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The manifest {@code _microw.json} of an extracted Parquet dataset, written only once the dataset is committed (so a
 * dataset without it is incomplete): the model (identity, architecture, config hash), the tokenizer, the maximum
 * length, the layers with their columns and widths, the columns' layout, the counts (texts, token rows, special
 * tokens, null texts skipped) and the microw version.
 *
 * @param model         the model's identity ({@link ModelRef#identity()})
 * @param architecture  the model's architecture
 * @param configHash    "sha256:" and the hex SHA-256 of the model's config
 * @param tokenizer     the tokenizer's description: the model it came from, padding side and truncation
 * @param maxLength     tokens kept per text
 * @param layers        canonical layer names
 * @param columns       the column of each layer
 * @param widths        the width of each layer
 * @param layout        how the layer columns store their vectors (a manifest without it is {@code float-array})
 * @param texts         texts with at least one token row
 * @param rows          token rows (every real token, special ones included)
 * @param specialTokens rows that are special tokens
 * @param nullTexts     input rows skipped because their text was null
 * @param microwVersion the microw version that wrote it
 * @param created       when it was written
 */
public record ActivationsManifest(String model, String architecture, String configHash, String tokenizer,
                                  int maxLength, List<String> layers, List<String> columns, List<Integer> widths,
                                  ActivationLayout layout, long texts, long rows, long specialTokens, long nullTexts,
                                  String microwVersion, String created) {

    /** The manifest's file name inside the dataset directory. */
    public static final String FILE = "_microw.json";

    private static final ObjectMapper JSON = JsonMapper.mapper();

    /** The manifest as JSON. */
    ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", "microw-spark-activations");
        root.put("format_version", 1);
        ObjectNode m = root.putObject("model");
        m.put("id", model);
        m.put("architecture", architecture);
        m.put("config_hash", configHash);
        root.put("tokenizer", tokenizer);
        root.put("max_length", maxLength);
        ArrayNode ls = root.putArray("layers");
        for (int i = 0; i < layers.size(); i++) {
            ls.addObject().put("name", layers.get(i)).put("column", columns.get(i)).put("width", widths.get(i));
        }
        root.put("layout", layout.id());
        if (layout == ActivationLayout.BINARY) {
            root.put("layout_encoding", "float32 little-endian, 4 bytes per element");
        }
        root.put("texts", texts);
        root.put("rows", rows);
        root.put("tokens", rows);
        root.put("special_tokens", specialTokens);
        root.put("null_texts", nullTexts);
        root.put("microw_version", microwVersion);
        root.put("created", created);
        return root;
    }

    /** Reads a manifest written by {@link #toJson()}. */
    static ActivationsManifest fromJson(JsonNode root) {
        List<String> layers = new ArrayList<>();
        List<String> columns = new ArrayList<>();
        List<Integer> widths = new ArrayList<>();
        for (JsonNode l : root.path("layers")) {
            layers.add(l.path("name").asText());
            columns.add(l.path("column").asText());
            widths.add(l.path("width").asInt());
        }
        JsonNode m = root.path("model");
        return new ActivationsManifest(m.path("id").asText(), m.path("architecture").asText(),
                m.path("config_hash").asText(), root.path("tokenizer").asText(), root.path("max_length").asInt(),
                layers, columns, widths, ActivationLayout.parse(root.path("layout").asText("float-array")),
                root.path("texts").asLong(), root.path("rows").asLong(),
                root.path("special_tokens").asLong(), root.path("null_texts").asLong(),
                root.path("microw_version").asText(), root.path("created").asText());
    }

    /** Writes {@code _microw.json} into {@code dataset} (any Hadoop file system). */
    void write(String dataset, Configuration hadoop) {
        Path file = new Path(dataset, FILE);
        try (FSDataOutputStream out = file.getFileSystem(hadoop).create(file, true)) {
            out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the manifest " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the manifest of an extracted dataset.
     *
     * @param dataset the dataset directory (path or URI)
     * @param hadoop  the Hadoop configuration (the session's {@code sparkContext().hadoopConfiguration()})
     * @return the manifest
     * @throws IllegalArgumentException when the dataset has no manifest (not an extraction, or not complete)
     */
    public static ActivationsManifest read(String dataset, Configuration hadoop) {
        Path file = new Path(dataset, FILE);
        try {
            FileSystem fs = file.getFileSystem(hadoop);
            if (!fs.exists(file)) {
                throw new IllegalArgumentException("'" + dataset + "' has no " + FILE + ": it is not a complete "
                        + "microw extraction (the manifest is written only when the job has committed)");
            }
            try (FSDataInputStream in = fs.open(file)) {
                return fromJson(JSON.readTree(in));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Now, for {@link #created}. */
    static String now() {
        return Instant.now().toString();
    }
}
