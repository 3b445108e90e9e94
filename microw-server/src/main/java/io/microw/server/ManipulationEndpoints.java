package io.microw.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.lm.GenerationResult;

import java.util.List;

/**
 * Saved manipulation configs (SAE latent edits with a name): create, list, read, delete, and preview (baseline and
 * steered) or apply (steered only) them to prompts with their SAE, when it is loaded.
 *
 * @param models the loaded models
 * @param saes the loaded SAEs
 * @param store where the configs are saved
 */
record ManipulationEndpoints(ModelRegistry models, SaeRegistry saes, ManipulationStore store) {

    /** POST /api/manipulations: saves a config made with a loaded SAE; 409 when the name exists. */
    void create(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        String name = ManipulationStore.checkName(Requests.text(body, "name", true));
        SaeRegistry.Entry e = saes.get(Requests.text(body, "sae", true));
        LatentEdits edits = LatentEdits.parse(body, e.sae().dSae());
        ObjectNode config = Json.object();
        config.put("name", name);
        config.put("sae", e.id());
        config.set("edits", edits.toJson());
        config.put("scope", edits.scopeName());
        config.put("sae_path", e.shown());
        config.put("model", e.model());
        config.put("layer", e.layer());
        config.put("d_sae", e.sae().dSae());
        config.put("created_at", java.time.Instant.now().toString());
        store.create(name, config);
        ctx.header("Location", "/api/manipulations/" + name);
        Endpoints.json(ctx, 201, config);
    }

    /** GET /api/manipulations: every saved config. */
    void list(Context ctx) {
        ObjectNode n = Json.object();
        ArrayNode list = n.putArray("manipulations");
        store.list().forEach(list::add);
        Endpoints.json(ctx, 200, n);
    }

    /** GET /api/manipulations/{name}: one config; 404 when there is none. */
    void get(Context ctx) {
        Endpoints.json(ctx, 200, store.require(ctx.pathParam("name")));
    }

    /** DELETE /api/manipulations/{name}: deletes a config; 404 when there is none. */
    void delete(Context ctx) {
        String name = ctx.pathParam("name");
        store.delete(name);
        ObjectNode n = Json.object();
        n.put("deleted", name);
        Endpoints.json(ctx, 200, n);
    }

    /** POST /api/manipulations/{name}/preview: baseline and steered generations; 409 when its SAE is not loaded. */
    void preview(Context ctx) {
        Prepared p = prepare(ctx);
        try (ModelRegistry.Lease lease = models.lease(p.entry.model())) {
            ModelRegistry.Loaded l = lease.model();
            Steering.Outcome o = Steering.run(l, saes, p.entry, p.edits, p.prompts, p.generation.config(), true);
            ObjectNode out = Steering.compared(l, p.entry, p.edits, p.prompts, o);
            out.put("manipulation", p.name);
            out.put("sampled", p.generation.sampled());
            Endpoints.json(ctx, 200, out);
        }
    }

    /** POST /api/manipulations/{name}/apply: steered generations only; 409 when its SAE is not loaded. */
    void apply(Context ctx) {
        Prepared p = prepare(ctx);
        try (ModelRegistry.Lease lease = models.lease(p.entry.model())) {
            ModelRegistry.Loaded l = lease.model();
            GenerationResult g = Steering.run(l, saes, p.entry, p.edits, p.prompts, p.generation.config(), false)
                    .steered();
            ObjectNode out = Json.object();
            out.put("manipulation", p.name);
            out.put("model", l.id);
            out.put("sae", p.entry.id());
            ArrayNode results = out.putArray("results");
            for (int i = 0; i < p.prompts.size(); i++) {
                ObjectNode r = results.addObject();
                r.put("prompt", p.prompts.get(i));
                r.setAll(Steering.completion(l.lm, g, i));
            }
            Endpoints.json(ctx, 200, out);
        }
    }

    /** What a preview or apply needs: the config, its loaded SAE, the prompts and generation settings. */
    private record Prepared(String name, SaeRegistry.Entry entry, LatentEdits edits, List<String> prompts,
                            Requests.Generation generation) {
    }

    private Prepared prepare(Context ctx) {
        ObjectNode config = store.require(ctx.pathParam("name"));
        ObjectNode body = Requests.body(ctx);
        List<String> prompts = Requests.texts(body, "prompts", "prompt", Endpoints.MAX_TEXTS, Endpoints.MAX_CHARS);
        Requests.Generation gen = Requests.generation(body);
        SaeRegistry.Entry e = loadedSae(config);
        LatentEdits edits = LatentEdits.parse(config, e.sae().dSae());
        return new Prepared(config.path("name").asText(), e, edits, prompts, gen);
    }

    /**
     * The loaded SAE a config was made with: the one with its id and folder, else any loaded from its folder for
     * its layer (ids start again after a restart); 409 when none is loaded. The folder is recorded as responses
     * show it ({@code data:saes/layer1}); configs saved by earlier versions recorded its absolute path.
     */
    private SaeRegistry.Entry loadedSae(ObjectNode config) {
        String id = config.path("sae").asText();
        String path = config.path("sae_path").asText();
        String layer = config.path("layer").asText();
        SaeRegistry.Entry fallback = null;
        for (SaeRegistry.Entry e : saes.all().values()) {
            boolean sameFolder = e.shown().equals(path) || e.path().toString().equals(path);
            if (sameFolder && e.layer().equals(layer)) {
                if (e.id().equals(id)) {
                    return e;
                }
                fallback = fallback == null ? e : fallback;
            }
        }
        if (fallback == null) {
            throw ApiException.conflict("the SAE of manipulation '" + config.path("name").asText() + "' (" + path
                    + " on " + layer + ") is not loaded; POST /api/saes/load it first");
        }
        return fallback;
    }
}
