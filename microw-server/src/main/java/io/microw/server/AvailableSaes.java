package io.microw.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.concepts.ConceptDictionary;
import io.microw.io.hub.PretrainedOptions;
import io.microw.sae.PretrainedSaes;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeException;
import io.microw.sae.SaeLensFormat;
import io.microw.sae.SaeRelease;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the web UI's SAE picker offers ({@code GET /api/saes/available}): the embedded releases, the SAEs training jobs
 * wrote, SAE folders under the file roots ({@link SaeFolders}) and registry releases already in the Hugging Face
 * cache. Each entry has a {@code kind} ({@value #RELEASE}, {@value #JOB}, {@value #FOLDER}, {@value #CACHED}), a
 * {@code label}, what {@code POST /api/saes/load} needs ({@code path}, or {@code release} and {@code sae_id}), the
 * model and layer it records when known, whether it comes with concept names ({@code concepts.json}), and the id of
 * the loaded SAE it already is, if any.
 */
final class AvailableSaes {

    static final String RELEASE = "release";
    static final String JOB = "job";
    static final String FOLDER = "folder";
    static final String CACHED = "cached";

    private final ServerConfig config;
    private final PretrainedOptions options;
    private final SaeRegistry saes;
    private final Supplier<List<JobStore.Job>> jobs;

    /**
     * @param config  the server's roots
     * @param options Hub settings: where the cache of downloaded releases is
     * @param saes    the loaded SAEs
     * @param jobs    the jobs of the running server, newest first
     */
    AvailableSaes(ServerConfig config, PretrainedOptions options, SaeRegistry saes, Supplier<List<JobStore.Job>> jobs) {
        this.config = config;
        this.options = options;
        this.saes = saes;
        this.jobs = jobs;
    }

    /** {@code GET /api/saes/available}: every SAE the picker can load, embedded releases first. */
    void list(Context ctx) {
        Map<String, String> loaded = new HashMap<>();
        saes.all().values().forEach(e -> loaded.putIfAbsent(e.shown(), e.id()));
        ObjectNode n = Json.object();
        ArrayNode list = n.putArray("saes");
        PretrainedSaes registry = PretrainedSaes.defaults();
        for (SaeRelease r : registry.releases()) {
            if (r.embedded()) {
                r.saes().forEach(e -> addRelease(list, RELEASE, r, e, registry.shipsConcepts(r, e), loaded));
            }
        }
        Set<Path> listed = new HashSet<>();
        for (JobStore.Job job : jobs.get()) {
            if (JobRunner.TRAINING.equals(job.kind()) && job.status() == JobStore.Status.SUCCEEDED
                    && job.artifact() != null && Files.isDirectory(Path.of(job.artifact()))) {
                Path folder = Path.of(job.artifact()).toAbsolutePath().normalize();
                listed.add(folder);
                addFolder(list, JOB, folder, "job " + job.id(), loaded);
            }
        }
        for (SaeFolders.Found f : SaeFolders.under(config.allFileRoots())) {
            if (listed.add(f.folder())) {
                addFolder(list, FOLDER, f.folder(), f.format().name(), loaded);
            }
        }
        for (PretrainedSaes.Cached c : registry.cached(options)) {
            addRelease(list, CACHED, c.release(), c.sae(), false, loaded);
        }
        Endpoints.json(ctx, 200, n);
    }

    private static void addRelease(ArrayNode list, String kind, SaeRelease r, SaeRelease.Entry e, boolean named,
                                   Map<String, String> loaded) {
        ObjectNode o = list.addObject();
        o.put("kind", kind);
        o.put("label", r.name() + " / " + e.id() + " (" + (kind.equals(RELEASE) ? "embedded" : "cached")
                + (r.model().isEmpty() ? "" : ", " + r.model()) + (named ? ", named concepts" : "") + ")");
        o.put("release", r.name());
        o.put("sae_id", e.id());
        o.put("model", r.model());
        o.put("layer", "");
        o.put("concepts", named);
        putLoaded(o, loaded.get(r.name() + ":" + e.id()));
    }

    private void addFolder(ArrayNode list, String kind, Path folder, String what, Map<String, String> loaded) {
        String shown = PathGuard.display(folder, config);
        SaeConfig c = null;
        if (Files.isRegularFile(folder.resolve("cfg.json"))) {
            try {
                c = SaeLensFormat.readConfig(folder);
            } catch (SaeException e) {
                // not a readable SAELens config: offered without model and layer; loading it says what is wrong
            }
        }
        boolean named = Files.isRegularFile(folder.resolve(ConceptDictionary.FILE_NAME));
        StringBuilder label = new StringBuilder(shown).append(" (").append(what);
        if (c != null) {
            label.append(", ").append(c.architecture().toString().toLowerCase(Locale.ROOT)).append(' ').append(c.dSae());
            if (!c.hookName().isEmpty()) {
                label.append(" on ").append(c.hookName());
            }
            if (!c.modelName().isEmpty()) {
                label.append(", ").append(c.modelName());
            }
        }
        label.append(named ? ", named concepts)" : ")");
        ObjectNode o = list.addObject();
        o.put("kind", kind);
        o.put("label", label.toString());
        o.put("path", shown);
        o.put("model", c == null ? "" : c.modelName());
        o.put("layer", c == null ? "" : c.hookName());
        o.put("concepts", named);
        putLoaded(o, loaded.get(shown));
    }

    private static void putLoaded(ObjectNode o, String id) {
        if (id == null) {
            o.putNull("loaded");
        } else {
            o.put("loaded", id);
        }
    }
}
