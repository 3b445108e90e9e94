package io.microw.lm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.data.TextDataset;
import io.microw.store.StoreException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/**
 * The {@code meta.json} of an activation run: model (id, architecture, config hash), layers, dataset, options,
 * microw version, and, as the run goes, status, counts and timings. The parts that define what the batches hold
 * ({@code model}, {@code layers}, {@code options}) must match when a run is resumed.
 */
final class RunMetadata {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ObjectNode node = MAPPER.createObjectNode();

    RunMetadata(String runId, LanguageModel lm, List<String> layers, String stopAfter, TextDataset dataset,
                SaveOptions options) {
        node.put("format", "microw-activations/1");
        node.put("run_id", runId);
        ObjectNode model = node.putObject("model");
        model.put("id", lm.directory().map(Object::toString).orElse("random-init"));
        model.put("architecture", lm.config().architecture());
        model.put("config_hash", "sha256:" + sha256(lm.config().raw().json().toString()));
        ArrayNode names = node.putArray("layers");
        layers.forEach(names::add);
        ObjectNode opts = node.putObject("options");
        opts.put("batch_size", options.batchSize());
        opts.put("max_length", options.maxLength());
        opts.put("dtype", options.dtype().safetensorsName());
        opts.put("save_attention_masks", options.saveAttentionMasks());
        opts.put("save_input_ids", options.saveInputIds());
        opts.put("stop_after_layer", stopAfter);
        ObjectNode data = node.putObject("dataset");
        data.put("description", dataset.describe());
        dataset.length().ifPresent(n -> data.put("length", n));
        node.put("microw_version", microwVersion());
    }

    /** Refuses to resume {@code existing} with other model, layers or options, naming the difference. */
    void checkResumable(ObjectNode existing) {
        for (String part : List.of("model", "layers", "options")) {
            if (!node.get(part).equals(existing.get(part))) {
                throw new StoreException("cannot resume run '" + node.get("run_id").asText() + "': it was saved with "
                        + part + " " + existing.get(part) + ", this call has " + node.get(part)
                        + "; resume with the same settings or choose another run id");
            }
        }
    }

    /** The JSON with status, counts and timings as of now. */
    ObjectNode snapshot(String status, long batches, long tokens, long realTokens, Instant started, double seconds,
                        long sessionTokens) {
        ObjectNode out = node.deepCopy();
        out.put("status", status);
        out.put("batches", batches);
        out.put("tokens", tokens);
        out.put("real_tokens", realTokens);
        ObjectNode timings = out.putObject("timings");
        timings.put("started_at", started.toString());
        timings.put("updated_at", Instant.now().toString());
        timings.put("seconds", seconds);
        timings.put("tokens_per_second", seconds > 0 ? sessionTokens / seconds : 0);
        return out;
    }

    static String microwVersion() {
        try (InputStream in = RunMetadata.class.getResourceAsStream("/META-INF/maven/io.microw/microw-core/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            return "unknown";
        }
        String v = RunMetadata.class.getPackage().getImplementationVersion();
        return v != null ? v : "unknown";
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
