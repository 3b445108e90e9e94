package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.store.StoreException;
import io.microw.store.StoreNames;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Manipulation configs as JSON files, {@code <dir>/<name>.json}, written atomically (a temporary file, then a
 * rename), so they survive restarts. Names follow {@link StoreNames}. Every method is synchronized.
 */
final class ManipulationStore {

    private final Path dir;

    ManipulationStore(Path dir) {
        this.dir = dir;
    }

    /** The checked name; 400 naming the field when it breaks the store's naming rules. */
    static String checkName(String name) {
        try {
            return StoreNames.check("'name'", name);
        } catch (StoreException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** Writes a new config; 409 when one of that name exists. */
    synchronized void create(String name, ObjectNode config) {
        Path file = file(name);
        if (Files.exists(file)) {
            throw ApiException.conflict("a manipulation named '" + name + "' exists already; DELETE "
                    + "/api/manipulations/" + name + " first or choose another name");
        }
        try {
            AtomicFiles.writeString(file, config.toPrettyString());
        } catch (IOException e) {
            throw new IllegalStateException("cannot write manipulation: " + e.getMessage(), e);
        }
    }

    /** The config of that name, if any. */
    synchronized Optional<ObjectNode> get(String name) {
        Path file = file(name);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode n = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
            return n != null && n.isObject() ? Optional.of((ObjectNode) n) : Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read manipulation " + file + ": " + e.getMessage(), e);
        }
    }

    /** The config of that name; 404 when there is none. */
    ObjectNode require(String name) {
        return get(checkName(name)).orElseThrow(() -> ApiException.notFound("no manipulation '" + name
                + "'; GET /api/manipulations lists them"));
    }

    /** Every config, by name. */
    synchronized List<ObjectNode> list() {
        List<ObjectNode> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                String name = f.getFileName().toString();
                get(name.substring(0, name.length() - ".json".length())).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** How many configs there are. */
    int count() {
        return list().size();
    }

    /** Deletes the config of that name; 404 when there is none. */
    synchronized void delete(String name) {
        try {
            if (!Files.deleteIfExists(file(checkName(name)))) {
                throw ApiException.notFound("no manipulation '" + name + "'; GET /api/manipulations lists them");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete manipulation " + name + ": " + e.getMessage(), e);
        }
    }

    private Path file(String name) {
        return dir.resolve(name + ".json");
    }
}
