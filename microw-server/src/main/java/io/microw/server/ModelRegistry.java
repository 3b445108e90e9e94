package io.microw.server;

import io.microw.frontend.ModelReference;
import io.microw.lm.LanguageModel;
import io.microw.lm.Layers;
import io.microw.lm.UnknownLayerException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The models a server may load (the allow-list and the subfolders of its model roots) and those it has loaded.
 * Each loaded model has one lock: every forward on it runs under that lock, so the hooks a request registers
 * never see another request's forward. A request holds a {@link Lease} on the model for its whole length (its
 * forwards, and the decoding of their tokens after the lock is released); an unload refuses new leases and frees
 * the model once the last lease is closed.
 */
final class ModelRegistry implements AutoCloseable {

    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** A loaded model, the lock that serialises its forwards, and the count of requests that hold it. */
    static final class Loaded {
        final String id;
        final String source;
        final LanguageModel lm;
        final ReentrantLock lock = new ReentrantLock(true);
        final long loadedAt = System.currentTimeMillis();
        /** Batches this model's concurrent greedy generations without hooks. */
        final GenerationBatcher batcher = new GenerationBatcher(this);
        /** Requests holding a lease; guarded by this object's monitor. */
        private int users;
        /** Set when an unload begins; written under this object's monitor. */
        private volatile boolean unloading;

        Loaded(String id, String source, LanguageModel lm) {
            this.id = id;
            this.source = source;
            this.lm = lm;
        }

        /**
         * Takes the model's lock for a forward; 409 when an unload has begun (the request stops there, and the
         * unload does not wait for forwards nobody will read). The caller holds a {@link Lease} and unlocks.
         */
        void lockOpen() {
            lock.lock();
            if (unloading) {
                lock.unlock();
                throw ApiException.conflict("model '" + id + "' was unloaded");
            }
        }

        /**
         * Lets the requests waiting for the model's lock run their forwards (the lock is fair), then takes it back: a
         * patching sweep calls it between its forwards, so that a long one does not hold the model for its whole
         * length. 409, with the lock held again, when an unload has begun meanwhile. The caller holds the lock once.
         */
        void yieldLock() {
            lock.unlock();
            lock.lock();
            if (unloading) {
                throw ApiException.conflict("model '" + id + "' was unloaded");
            }
        }

        private synchronized void enter() {
            if (unloading) {
                throw ApiException.conflict("model '" + id + "' was unloaded");
            }
            users++;
        }

        private synchronized void leave() {
            users--;
            if (users == 0) {
                notifyAll();
            }
        }

        /** Refuses new leases, waits until every lease is closed, then frees the model. */
        private void close() {
            boolean interrupted = false;
            synchronized (this) {
                unloading = true;
                while (users > 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true; // the model must not be freed under a request: keep waiting
                    }
                }
            }
            lm.close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A request's hold on a loaded model: the model is not freed while a lease on it is open. Open one with
     * {@link #lease}, in a try-with-resources around everything the request does with the model.
     *
     * @param model the loaded model
     */
    record Lease(Loaded model) implements AutoCloseable {

        @Override
        public void close() {
            model.leave();
        }
    }

    private final ServerConfig config;
    private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();
    private final Object loadLock = new Object();

    ModelRegistry(ServerConfig config) {
        this.config = config;
    }

    /** The id as the allow-list or a model root knows it; 404 when it is neither. */
    String canonicalId(String urlId) {
        if (urlId == null || urlId.isBlank()) {
            throw ApiException.badRequest("missing model id");
        }
        if (config.allowedModels().contains(urlId)) {
            return urlId;
        }
        String hub = urlId.replace("--", "/");
        if (config.allowedModels().contains(hub)) {
            return hub;
        }
        if (localDirectory(urlId).isPresent()) {
            return urlId;
        }
        throw ApiException.notFound("model '" + urlId + "' is not allowed on this server; GET /api/models lists those "
                + "that are");
    }

    /** The folder of a local model (a subfolder of a model root holding config.json), if the id names one. */
    Optional<Path> localDirectory(String id) {
        if (!SAFE_ID.matcher(id).matches() || id.contains("..")) {
            return Optional.empty();
        }
        for (Path root : config.modelRoots()) {
            Path dir = root.resolve(id).normalize();
            if (dir.startsWith(root) && !dir.equals(root) && Files.isRegularFile(dir.resolve("config.json"))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }

    /** Every id that may be loaded: the allow-list, then local models, sorted. */
    List<String> available() {
        List<String> ids = new ArrayList<>(config.allowedModels());
        TreeSet<String> local = new TreeSet<>();
        for (Path root : config.modelRoots()) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> children = Files.list(root)) {
                children.filter(d -> Files.isRegularFile(d.resolve("config.json")))
                        .map(d -> d.getFileName().toString())
                        .filter(n -> SAFE_ID.matcher(n).matches())
                        .forEach(local::add);
            } catch (IOException e) {
                // an unreadable root lists nothing
            }
        }
        local.stream().filter(n -> !ids.contains(n)).forEach(ids::add);
        return ids;
    }

    /** Loads a model; 409 when it is loaded already. */
    Loaded load(String urlId) {
        String id = canonicalId(urlId);
        synchronized (loadLock) {
            if (loaded.containsKey(id)) {
                throw ApiException.conflict("model '" + id + "' is already loaded");
            }
            ModelReference reference = reference(id);
            Loaded l = new Loaded(id, reference.source(), reference.open());
            loaded.put(id, l);
            return l;
        }
    }

    /**
     * A private instance of an allowed model, not registered (jobs use one, so their forwards and hooks never
     * meet a request's); the caller closes it. 404 when the id is not allowed.
     */
    LanguageModel open(String urlId) {
        return reference(canonicalId(urlId)).open();
    }

    /** The model a canonical id names: an allowed id (the demo model or a Hub id), else a model root's folder. */
    private ModelReference reference(String id) {
        if (config.allowedModels().contains(id)) {
            return ModelReference.ofId(id);
        }
        return ModelReference.directory(localDirectory(id).orElseThrow(() -> ApiException.notFound("model '" + id
                + "' is not allowed on this server; GET /api/models lists those that are")));
    }

    /**
     * Unloads a model: new requests on it get 409 from now on, and it is freed once the requests holding it have
     * finished; 409 when it is not loaded.
     */
    void unload(String urlId) {
        String id = canonicalId(urlId);
        Loaded l;
        synchronized (loadLock) {
            l = loaded.remove(id);
        }
        if (l == null) {
            throw ApiException.conflict("model '" + id + "' is not loaded");
        }
        l.close();
    }

    /** A loaded model; 404 for an id that is not allowed, 409 for one that is not loaded. */
    Loaded get(String urlId) {
        String id = canonicalId(urlId);
        Loaded l = loaded.get(id);
        if (l == null) {
            throw ApiException.conflict("model '" + id + "' is not loaded; POST /api/models/" + urlId + "/load first");
        }
        return l;
    }

    /**
     * A lease on a loaded model, which the caller closes when the request is done with the model; 404 for an id
     * that is not allowed, 409 for one that is not loaded or is being unloaded.
     */
    Lease lease(String urlId) {
        Loaded l = get(urlId);
        l.enter();
        return new Lease(l);
    }

    /**
     * Checks that model {@code urlId} has each of {@code layers} (names, aliases or indices); 400 naming the first it
     * lacks, with the closest names. A loaded model answers from its module tree (plain Java lookups, safe even while
     * it is being unloaded). A model that is not loaded is opened for the check and closed again: its layer names
     * come from building its modules, which needs its weights, and the job that asks opens the same model moments
     * later anyway (brown-gpt2 opens in a fraction of a second; a large Hub model takes longer, once more).
     */
    void checkLayers(String urlId, List<String> layers) {
        Loaded l = loaded.get(canonicalId(urlId));
        if (l != null) {
            resolveAll(l.lm.layers(), layers);
            return;
        }
        try (LanguageModel lm = open(urlId)) {
            resolveAll(lm.layers(), layers);
        }
    }

    private static void resolveAll(Layers names, List<String> layers) {
        for (String layer : layers) {
            try {
                names.resolve(layer);
            } catch (UnknownLayerException e) {
                throw ApiException.badRequest("'layers': " + e.getMessage());
            }
        }
    }

    /** Loaded models by id, in load order of their ids. */
    Map<String, Loaded> loaded() {
        Map<String, Loaded> copy = new LinkedHashMap<>();
        loaded.values().stream().sorted((a, b) -> Long.compare(a.loadedAt, b.loadedAt)).forEach(l -> copy.put(l.id, l));
        return copy;
    }

    /** Unloads every model, each once the requests holding it have finished. */
    @Override
    public void close() {
        List<Loaded> all;
        synchronized (loadLock) {
            all = new ArrayList<>(loaded.values());
            loaded.clear();
        }
        all.forEach(Loaded::close);
    }
}
