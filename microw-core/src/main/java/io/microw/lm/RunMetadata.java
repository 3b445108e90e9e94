package io.microw.lm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.data.TextDataset;
import io.microw.io.JsonMapper;
import io.microw.store.DatasetIdentity;
import io.microw.store.RunStatus;
import io.microw.store.StoreException;
import io.microw.store.WriterProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The {@code meta.json} of an activation run: model ({@link ModelIdentity}), layers, dataset (with its
 * {@link DatasetIdentity}), options, microw version, the writing process ({@link WriterProcess}), and, as the run
 * goes, status, counts and timings. The parts that define what the batches hold (model, layers, options,
 * dataset) must match when a run is resumed; {@code options.prepend_bos} says whether every text started with the BOS
 * token (true) or none did (false), and is absent when texts kept the tokenizer's own special tokens; a run that
 * another live process is writing cannot be resumed.
 * <p>
 * Format 2 added the dataset identity, the writer and the model's name in {@code model.id} (format 1 kept the
 * model's folder there). A run of format 1 resumes when its config hash matches; its dataset cannot be checked, and
 * a warning says so.
 */
final class RunMetadata {

    private static final String FORMAT = "microw-activations/2";
    private static final String FORMAT_1 = "microw-activations/1";
    private static final Logger LOG = LoggerFactory.getLogger(RunMetadata.class);
    private static final ObjectMapper MAPPER = JsonMapper.mapper();

    private final ObjectNode node = MAPPER.createObjectNode();
    private final ModelIdentity model;
    private final DatasetIdentity dataset;

    RunMetadata(String runId, LanguageModel lm, List<String> layers, String stopAfter, TextDataset texts,
                DatasetIdentity dataset, SaveOptions options) {
        this.model = ModelIdentity.of(lm, options.modelName());
        this.dataset = dataset;
        node.put("format", FORMAT);
        node.put("run_id", runId);
        node.set("model", model.toJson());
        ArrayNode names = node.putArray("layers");
        layers.forEach(names::add);
        ObjectNode opts = node.putObject("options");
        opts.put("batch_size", options.batchSize());
        opts.put("max_length", options.maxLength());
        opts.put("dtype", options.dtype().safetensorsName());
        opts.put("save_attention_masks", options.saveAttentionMasks());
        opts.put("save_input_ids", options.saveInputIds());
        opts.put("stop_after_layer", stopAfter);
        lm.inference().prependBos(InferenceOptions.defaults()).ifPresent(bos -> opts.put("prepend_bos", bos));
        ObjectNode data = node.putObject("dataset");
        data.put("description", texts.describe());
        texts.length().ifPresent(n -> data.put("length", n));
        data.set("identity", dataset.toJson());
        node.put("microw_version", microwVersion());
        node.set("writer", WriterProcess.current().toJson());
    }

    /**
     * Refuses to resume {@code existing} while another live process writes it, or with another model, layers,
     * options or dataset, naming both sides.
     */
    void checkResumable(ObjectNode existing) {
        String runId = node.get("run_id").asText();
        Optional<WriterProcess> writer = WriterProcess.fromJson(existing.get("writer"))
                .filter(w -> !w.isCurrentProcess());
        if (RunStatus.RUNNING.id().equals(existing.path("status").asText()) && writer.isPresent()) {
            if (writer.get().isRunning()) {
                throw new StoreException("cannot resume run '" + runId + "': " + writer.get() + " is writing it now;"
                        + " wait for it to end or stop it first");
            }
            LOG.warn("run '{}' says {} is writing it, which cannot be checked from this host; resuming it: make sure"
                    + " that process no longer writes it", runId, writer.get());
        }
        boolean format1 = FORMAT_1.equals(existing.path("format").asText());
        ModelIdentity saved = ModelIdentity.fromJson(existing.path("model"));
        if (format1 ? !saved.configHash().equals(model.configHash()) : !saved.sameModel(model)) {
            throw new StoreException("cannot resume run '" + runId + "': it was saved with model " + saved.describe()
                    + "; this save uses model " + model.describe() + "; resume with the same model or choose"
                    + " another run name");
        }
        for (String part : List.of("layers", "options")) {
            if (!node.get(part).equals(existing.get(part))) {
                throw new StoreException("cannot resume run '" + runId + "': it was saved with "
                        + part + " " + existing.get(part) + "; this save has " + node.get(part)
                        + "; resume with the same settings or choose another run name");
            }
        }
        Optional<DatasetIdentity> savedData = DatasetIdentity.fromJson(existing.path("dataset").get("identity"));
        if (savedData.isEmpty()) {
            LOG.warn("run '{}' records no dataset identity (saved by an older microw): the dataset cannot be checked;"
                    + " resuming it with {}, which must be the dataset it was started with", runId, dataset.describe());
        } else if (!savedData.get().sameTexts(dataset)) {
            throw new StoreException("cannot resume run '" + runId + "': it was saved from "
                    + savedData.get().describe() + "; this save reads " + dataset.describe()
                    + "; resume with the same dataset or choose another run name");
        }
    }

    /** The JSON with status, counts and timings as of now. */
    ObjectNode snapshot(RunStatus status, long batches, long tokens, long realTokens, Instant started, double seconds,
                        long sessionTokens) {
        ObjectNode out = node.deepCopy();
        out.put("status", status.id());
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
}
