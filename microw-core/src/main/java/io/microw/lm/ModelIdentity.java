package io.microw.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Which model a run was saved with, independent of the machine: its name (the one it was opened by, else the Hub
 * repo id of a Hub cache snapshot, else its folder's name), the Hub revision when it came from the Hub cache, and
 * a SHA-256 of its config. The folder it was loaded from is kept as a hint ({@code path}) and not compared, so a
 * store resumes under another {@code MICROW_HOME} or on another machine.
 *
 * @param name         the model's name: brown-gpt2, owner/name, a local folder's name, or random-init
 * @param revision     the Hub commit of a Hub cache snapshot, else {@code null}
 * @param architecture the config's architecture (informative)
 * @param configHash   "sha256:" and the hex SHA-256 of the config as parsed (compact JSON)
 * @param path         the folder the model was loaded from, or {@code null}
 */
record ModelIdentity(String name, String revision, String architecture, String configHash, String path) {

    /** The identity of {@code lm}, named {@code givenName} when the caller knows its name, else by its folder. */
    static ModelIdentity of(LanguageModel lm, String givenName) {
        Optional<Path> dir = lm.directory().map(d -> d.toAbsolutePath().normalize());
        Optional<String> hubRepo = dir.flatMap(ModelIdentity::hubRepo);
        String name = givenName != null ? givenName
                : hubRepo.orElseGet(() -> dir.map(d -> String.valueOf(d.getFileName())).orElse("random-init"));
        String revision = hubRepo.isPresent() ? dir.get().getFileName().toString() : null;
        return new ModelIdentity(name, revision, lm.config().architecture(),
                "sha256:" + sha256(lm.config().raw().json().toString()), dir.map(Path::toString).orElse(null));
    }

    /** The repo id of a Hub cache snapshot folder, {@code .../models--owner--name/snapshots/<commit>}. */
    static Optional<String> hubRepo(Path dir) {
        Path snapshots = dir.getParent();
        Path repo = snapshots == null ? null : snapshots.getParent();
        if (repo == null || repo.getFileName() == null || !snapshots.getFileName().toString().equals("snapshots")
                || !repo.getFileName().toString().startsWith("models--")) {
            return Optional.empty();
        }
        return Optional.of(repo.getFileName().toString().substring("models--".length()).replace("--", "/"));
    }

    /** The {@code model} object of {@code meta.json}: {@code id} holds the name. */
    ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("id", name);
        if (revision != null) {
            n.put("revision", revision);
        }
        n.put("architecture", architecture);
        n.put("config_hash", configHash);
        if (path != null) {
            n.put("path", path);
        }
        return n;
    }

    /** The identity a run's {@code model} object records (in runs of format 1, {@code id} is a path). */
    static ModelIdentity fromJson(JsonNode model) {
        return new ModelIdentity(model.path("id").asText(""), model.path("revision").asText(null),
                model.path("architecture").asText(""), model.path("config_hash").asText(""),
                model.path("path").asText(null));
    }

    /** Whether both are the same model: same name, Hub revision and config. */
    boolean sameModel(ModelIdentity other) {
        return name.equals(other.name) && Objects.equals(revision, other.revision)
                && configHash.equals(other.configHash);
    }

    /** How messages name the model: "brown-gpt2 (config sha256:ab12cd34ef56…)". */
    String describe() {
        String hash = configHash.length() > 19 ? configHash.substring(0, 19) + "…" : configHash;
        return name + (revision == null ? "" : " at revision " + revision) + " (config " + hash + ")";
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
