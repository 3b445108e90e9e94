package io.microw.sae.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.microw.io.JsonMapper;
import io.microw.io.SafetensorsFile;
import io.microw.io.SafetensorsWriter;
import io.microw.sae.FeatureDensity;
import io.microw.sae.SaeException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A resumable training state in {@code <dir>/step_<n>/}: {@code state.safetensors} (parameters, Adam moments,
 * latent firing counts) and {@code state.json} (step, tokens, input scale, history). Written to a temporary
 * folder and renamed into place, so a killed process leaves the previous checkpoint intact; older checkpoints
 * are removed once a newer one is complete.
 */
final class TrainingCheckpoint {

    private static final ObjectMapper JSON = JsonMapper.mapper();

    private static final ObjectWriter PRETTY = JsonMapper.pretty();
    private static final String PREFIX = "step_";

    /** Scalars of the trainer's state. */
    record State(long step, long tokens, float inputScale, double batchTopKThreshold, long skippedBatches,
                 List<Map<String, Object>> history, Map<String, Object> config) {
    }

    private TrainingCheckpoint() {
    }

    static Path write(Path dir, TrainingModel model, FeatureDensity density, State state) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempDirectory(dir, ".writing-");
            SafetensorsWriter w = new SafetensorsWriter();
            for (ParamTensor p : model.trainable()) {
                long[] shape = {p.size()};
                float[][] moments = p.moments();
                w.putFloats(p.name, shape, p.values());
                w.putFloats(p.name + ".adam_m", shape, moments[0]);
                w.putFloats(p.name + ".adam_v", shape, moments[1]);
            }
            w.putLongs("density.fired", new long[] {density.latents()}, density.firedCounts());
            w.putLongs("density.last_fired", new long[] {density.latents()}, density.lastFiredAt());
            w.write(tmp.resolve("state.safetensors"));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("step", state.step());
            json.put("tokens", state.tokens());
            json.put("density_tokens", density.tokens());
            json.put("input_scale", state.inputScale());
            json.put("batch_topk_threshold", state.batchTopKThreshold());
            json.put("skipped_batches", state.skippedBatches());
            json.put("config", state.config());
            json.put("history", state.history());
            PRETTY.writeValue(tmp.resolve("state.json").toFile(), json);
            Path target = dir.resolve(String.format("%s%09d", PREFIX, state.step()));
            if (Files.exists(target)) {
                deleteTree(target);
            }
            Files.move(tmp, target);
            for (Path old : checkpoints(dir)) {
                if (!old.equals(target)) {
                    deleteTree(old);
                }
            }
            return target;
        } catch (IOException e) {
            throw new SaeException("could not write a training checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The newest complete checkpoint in {@code dir}, if any. */
    static Optional<Path> latest(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return Optional.empty();
        }
        List<Path> all = checkpoints(dir);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Restores parameters, moments and firing counts; returns the scalars. */
    static State read(Path checkpoint, TrainingModel model, FeatureDensity density) {
        Map<String, Object> json;
        try {
            json = JSON.readValue(checkpoint.resolve("state.json").toFile(), new TypeReference<>() {
            });
        } catch (IOException e) {
            throw new SaeException("checkpoint " + checkpoint + " has no readable state.json: " + e.getMessage(), e);
        }
        try (SafetensorsFile f = SafetensorsFile.open(checkpoint.resolve("state.safetensors"))) {
            for (ParamTensor p : model.trainable()) {
                p.restore(sized(f.readFloats(p.name), p, checkpoint),
                        sized(f.readFloats(p.name + ".adam_m"), p, checkpoint),
                        sized(f.readFloats(p.name + ".adam_v"), p, checkpoint));
            }
            density.restore(f.readLongs("density.fired"), f.readLongs("density.last_fired"),
                    ((Number) json.get("density_tokens")).longValue());
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> history = (List<Map<String, Object>>) json.getOrDefault("history", List.of());
        @SuppressWarnings("unchecked")
        Map<String, Object> config = (Map<String, Object>) json.getOrDefault("config", Map.of());
        return new State(((Number) json.get("step")).longValue(), ((Number) json.get("tokens")).longValue(),
                ((Number) json.get("input_scale")).floatValue(),
                ((Number) json.get("batch_topk_threshold")).doubleValue(),
                ((Number) json.get("skipped_batches")).longValue(), new ArrayList<>(history), config);
    }

    /** {@code values}, checked to hold as many values as {@code p}. */
    private static float[] sized(float[] values, ParamTensor p, Path checkpoint) {
        if (values.length != p.size()) {
            throw new SaeException("checkpoint " + checkpoint + " has " + values.length + " values for " + p.name
                    + ", this SAE needs " + p.size() + " (different sizes?)");
        }
        return values;
    }

    private static List<Path> checkpoints(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
