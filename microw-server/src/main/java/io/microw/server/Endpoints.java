package io.microw.server;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.concepts.AutoencoderConcepts;
import io.microw.concepts.ConceptDictionary;
import io.microw.frontend.HookSpec;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.GenerationConfig;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.NextToken;
import io.microw.util.TopK;
import io.microw.lm.Layers;
import io.microw.nn.Module;
import io.microw.sae.PretrainedSaeInfo;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.sae.SaeFormats;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** The handlers behind the routes of {@link MicrowServer}. */
final class Endpoints {

    static final int MAX_TEXTS = 64;
    static final int MAX_CHARS = 20_000;

    private final ServerConfig config;
    private final ModelRegistry models;
    private final SaeRegistry saes;
    private final PublishedSaes published;
    private final long startedAt = System.currentTimeMillis();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong errors = new AtomicLong();

    Endpoints(ServerConfig config, ModelRegistry models, SaeRegistry saes, PublishedSaes published) {
        this.config = config;
        this.models = models;
        this.saes = saes;
        this.published = published;
    }

    static void json(Context ctx, int status, JsonNode node) {
        ctx.status(status).contentType("application/json").result(Json.write(node));
    }

    void health(Context ctx) {
        ObjectNode n = Json.object();
        n.put("status", "ok");
        json(ctx, 200, n);
    }

    void metrics(Context ctx) {
        ObjectNode n = Json.object();
        n.put("uptime_seconds", (System.currentTimeMillis() - startedAt) / 1000.0);
        n.put("requests_served", requests.get());
        n.put("errors", errors.get());
        ArrayNode loaded = n.putArray("loaded_models");
        models.loaded().keySet().forEach(loaded::add);
        n.put("loaded_saes", saes.all().size());
        n.put("generation_batches", models.loaded().values().stream().mapToLong(l -> l.batcher.batches()).sum());
        n.put("batched_generation_requests", models.loaded().values().stream()
                .mapToLong(l -> l.batcher.batchedRequests()).sum());
        Runtime rt = Runtime.getRuntime();
        n.put("heap_used_bytes", rt.totalMemory() - rt.freeMemory());
        json(ctx, 200, n);
    }

    void listModels(Context ctx) {
        ObjectNode n = Json.object();
        ArrayNode allowed = n.putArray("allowed");
        models.available().forEach(allowed::add);
        ArrayNode loaded = n.putArray("loaded");
        for (ModelRegistry.Loaded l : models.loaded().values()) {
            loaded.add(describe(l));
        }
        json(ctx, 200, n);
    }

    private ObjectNode describe(ModelRegistry.Loaded l) {
        ObjectNode m = Json.object();
        m.put("id", l.id);
        m.put("source", PathGuard.redact(l.source, config));
        var c = l.lm.config();
        m.put("architecture", c.architecture());
        m.put("layers", c.numLayers());
        m.put("hidden_size", c.hiddenSize());
        m.put("heads", c.numHeads());
        m.put("vocab_size", c.vocabSize());
        m.put("context", c.maxPositions());
        m.put("hook_points", l.lm.layers().names().size());
        return m;
    }

    void loadModel(Context ctx) {
        ModelRegistry.Loaded l = models.load(ctx.pathParam("id"));
        json(ctx, 201, describe(l));
    }

    void unloadModel(Context ctx) {
        models.unload(ctx.pathParam("id"));
        ObjectNode n = Json.object();
        n.put("unloaded", models.canonicalId(ctx.pathParam("id")));
        json(ctx, 200, n);
    }

    void layers(Context ctx) {
        ModelRegistry.Loaded l = models.get(ctx.pathParam("id"));
        Layers layers = l.lm.layers();
        ObjectNode root = Json.object();
        root.put("model", l.id);
        root.put("count", layers.names().size());
        root.set("tree", node(layers, layers.names(), l.lm.module()));
        json(ctx, 200, root);
    }

    private static ObjectNode node(Layers layers, List<String> names, Module module) {
        ObjectNode n = Json.object();
        String name = module.name().isEmpty() ? Layers.ROOT : module.name();
        n.put("name", name);
        int index = names.indexOf(module.name());
        if (index >= 0) {
            n.put("index", index);
        } else {
            n.putNull("index");
        }
        n.put("type", module.typeName());
        n.put("hookable", module.isCallable());
        ArrayNode aliases = n.putArray("aliases");
        layers.aliasesOf(module.name()).stream().filter(a -> !a.equals(name)).forEach(aliases::add);
        ArrayNode children = n.putArray("children");
        for (Module child : module.children()) {
            children.add(node(layers, names, child));
        }
        return n;
    }

    void hookTypes(Context ctx) {
        ObjectNode n = Json.object();
        n.set("hooks", RequestHooks.catalogue());
        json(ctx, 200, n);
    }

    void infer(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        List<String> texts = Requests.texts(body, "texts", "text", MAX_TEXTS, MAX_CHARS);
        List<HookSpec> specs = RequestHooks.parse(body.get("hooks"), true);
        int topK = Requests.integer(body, "top_k", 5, 1, 100);
        try (ModelRegistry.Lease lease = models.lease(ctx.pathParam("id"))) {
            ModelRegistry.Loaded l = lease.model();
            requireTokenizer(l.lm);
            requireWithinContext(l, texts);
            ObjectNode out = Json.object();
            out.put("model", l.id);
            ArrayNode results = out.putArray("results");
            l.lockOpen();
            try (RequestHooks hooks = RequestHooks.register(l.lm, specs)) {
                for (String text : texts) {
                    results.add(inferOne(l.lm, hooks, text, topK));
                }
            } finally {
                l.lock.unlock();
            }
            json(ctx, 200, out);
        }
    }

    /** One forward over one text (so no padding enters the captured statistics). Under the model's lock. */
    private static ObjectNode inferOne(LanguageModel lm, RequestHooks hooks, String text, int topK) {
        ObjectNode r = Json.object();
        r.put("text", text);
        try (InferenceResult result = lm.inference().executeInference(List.of(text))) {
            long[] ids = result.encodings().inputIds()[0];
            String[] tokens = result.encodings().tokens()[0];
            ArrayNode tok = r.putArray("tokens");
            for (int i = 0; i < ids.length; i++) {
                ObjectNode t = tok.addObject();
                t.put("id", ids[i]);
                t.put("text", tokens[i]);
            }
            int last = ids.length - 1;
            long[] mask = result.encodings().attentionMask()[0];
            while (last > 0 && mask[last] == 0) {
                last--;
            }
            float[] logits = result.logits().get(0).get(last).toType(DataType.FLOAT32, false).toFloatArray();
            ArrayNode next = r.putArray("next_tokens");
            for (NextToken candidate : NextToken.top(logits, topK)) {
                ObjectNode t = next.addObject();
                t.put("id", candidate.id());
                t.put("token", lm.tokenizer().decode(new long[] {candidate.id()}, false));
                t.put("logit", candidate.logit());
                t.put("probability", candidate.probability());
            }
            r.set("hooks", hooks.results());
        }
        return r;
    }

    void generate(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        List<String> prompts = Requests.texts(body, "prompts", "prompt", MAX_TEXTS, MAX_CHARS);
        List<HookSpec> specs = RequestHooks.parse(body.get("hooks"), false);
        Requests.Generation gen = Requests.generation(body);
        GenerationConfig cfg = gen.config();
        boolean sample = gen.sampled();
        try (ModelRegistry.Lease lease = models.lease(ctx.pathParam("id"))) {
            ModelRegistry.Loaded l = lease.model();
            requireTokenizer(l.lm);
            ObjectNode out = Json.object();
            out.put("model", l.id);
            out.put("sampled", sample);
            ArrayNode results = out.putArray("results");
            if (specs.isEmpty() && !sample && config.batchGenerations()) {
                addResults(results, l, prompts, l.batcher.generate(prompts, cfg));
                out.putArray("hooks");
            } else {
                l.lockOpen();
                try (RequestHooks hooks = RequestHooks.register(l.lm, specs)) {
                    addResults(results, l, prompts, GenerationBatcher.rows(l.lm.inference().generate(prompts, cfg)));
                    out.set("hooks", hooks.results());
                } finally {
                    l.lock.unlock();
                }
            }
            json(ctx, 200, out);
        }
    }

    private static void addResults(ArrayNode results, ModelRegistry.Loaded l, List<String> prompts,
                                   List<GenerationBatcher.Generated> rows) {
        for (int i = 0; i < prompts.size(); i++) {
            GenerationBatcher.Generated g = rows.get(i);
            ObjectNode r = results.addObject();
            r.put("prompt", prompts.get(i));
            r.put("text", g.text());
            r.put("completion", g.completion());
            r.set("tokens", tokens(l.lm, g.newTokens()));
        }
    }

    void loadSae(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        String release = Requests.text(body, "release", false);
        boolean hasPath = Requests.text(body, "path", false) != null;
        if (release == null && !hasPath) {
            throw ApiException.badRequest("missing 'path' (an SAE folder inside a file root) or 'release' and 'sae_id'"
                    + " (a published SAE; GET /api/sae-releases lists them)");
        }
        if (release != null && hasPath) {
            throw ApiException.badRequest("give 'path' or 'release' (with 'sae_id'), not both");
        }
        if (release != null) {
            String saeId = Requests.text(body, "sae_id", true);
            String modelId = Requests.text(body, "model", true);
            try (ModelRegistry.Lease lease = models.lease(modelId)) {
                json(ctx, 201, describe(addSae(lease.model(), body, null, release + ":" + saeId,
                        () -> published.open(release, saeId))));
            }
            return;
        }
        Path dir = PathGuard.confine(Requests.text(body, "path", true), config.allFileRoots(), "path");
        String shown = PathGuard.display(dir, config);
        if (!Files.isDirectory(dir)) {
            throw ApiException.notFound("no SAE folder at " + shown);
        }
        PathGuard.confineEntries(dir, config.allFileRoots(), "path");
        try {
            SaeFormats.detect(dir);
        } catch (SaeException e) {
            throw ApiException.badRequest(shown + " is not an SAE folder: "
                    + PathGuard.redact(e.getMessage(), config));
        }
        String modelId = Requests.text(body, "model", true);
        try (ModelRegistry.Lease lease = models.lease(modelId)) {
            json(ctx, 201, describe(addSae(lease.model(), body, dir, shown, () -> loadFolder(dir, shown))));
        }
    }

    private Sae loadFolder(Path dir, String shown) {
        try {
            return Sae.load(dir);
        } catch (RuntimeException e) {
            throw ApiException.badRequest("cannot load the SAE at " + shown + ": "
                    + PathGuard.redact(e.getMessage(), config));
        }
    }

    /**
     * Opens an SAE for layer "layer" (or the one it records) of {@code l}, checking its width: from {@code dir}, or
     * (when {@code dir} is null) a published one, recorded at the folder its files were put in.
     */
    private SaeRegistry.Entry addSae(ModelRegistry.Loaded l, ObjectNode body, Path dir, String shown,
                                     Supplier<Sae> open) {
        Sae sae = open.get();
        try {
            String given = Requests.text(body, "layer", false);
            if (given == null || given.isBlank()) {
                given = sae.config().hookName();
            }
            if (given == null || given.isBlank()) {
                throw ApiException.badRequest("missing 'layer': the SAE does not record the layer it reads");
            }
            String layer;
            l.lockOpen();
            try {
                layer = RequestHooks.resolve(l.lm.layers(), given);
                long[] shape = l.lm.inference().layerOutputShape(layer);
                long width = shape[shape.length - 1];
                if (width != sae.dIn()) {
                    throw ApiException.badRequest("the SAE reads " + sae.dIn() + " values per token but layer '"
                            + layer + "' gives " + width);
                }
            } finally {
                l.lock.unlock();
            }
            Path folder = dir != null ? dir : sae.pretrained().map(PretrainedSaeInfo::folder).orElseThrow();
            Optional<ConceptDictionary> named = shippedConcepts(folder, sae, shown);
            SaeRegistry.Entry entry = saes.add(folder, shown, l.id, layer, sae);
            named.ifPresent(entry.hook().concepts()::setDictionary);
            return entry;
        } catch (RuntimeException e) {
            sae.close();
            throw e;
        }
    }

    /** The concept dictionary shipped in the SAE's folder ({@code concepts.json}), if any; 400 when it is unreadable. */
    private Optional<ConceptDictionary> shippedConcepts(Path folder, Sae sae, String shown) {
        try {
            return ConceptDictionary.besideSae(folder, sae.dSae());
        } catch (RuntimeException e) {
            throw ApiException.badRequest("the concept dictionary " + ConceptDictionary.FILE_NAME + " beside the SAE "
                    + shown + " cannot be loaded: " + PathGuard.redact(e.getMessage(), config));
        }
    }

    private static ObjectNode describe(SaeRegistry.Entry e) {
        ObjectNode n = Json.object();
        n.put("id", e.id());
        n.put("path", e.shown());
        e.sae().pretrained().ifPresent(p -> {
            n.put("release", p.release());
            n.put("sae_id", p.saeId());
            n.put("neuronpedia_id", p.neuronpediaId());
        });
        n.put("model", e.model());
        n.put("layer", e.layer());
        n.put("architecture", e.sae().architecture().saeLensName());
        n.put("d_in", e.sae().dIn());
        n.put("d_sae", e.sae().dSae());
        n.put("k", e.sae().config().k());
        AutoencoderConcepts concepts = e.hook().concepts();
        synchronized (concepts) {
            n.put("concepts", concepts.dictionary().size());
        }
        SaeRegistry.TopTexts top = e.tracked().get();
        if (top == null) {
            n.putNull("top_texts"); // POST /api/saes/{id}/top-texts computes or imports them
        } else {
            n.set("top_texts", ConceptEndpoints.describe(top));
        }
        return n;
    }

    void listSaes(Context ctx) {
        ObjectNode n = Json.object();
        ArrayNode list = n.putArray("saes");
        saes.all().values().forEach(e -> list.add(describe(e)));
        json(ctx, 200, n);
    }

    void getSae(Context ctx) {
        json(ctx, 200, describe(saes.get(ctx.pathParam("id"))));
    }

    void deleteSae(Context ctx) {
        SaeRegistry.Entry e = saes.remove(ctx.pathParam("id"));
        ObjectNode n = Json.object();
        n.put("deleted", e.id());
        json(ctx, 200, n);
    }

    void inferSae(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        String text = Requests.text(body, "text", true);
        if (text.isEmpty() || text.length() > MAX_CHARS) {
            throw ApiException.badRequest("'text' must have 1 to " + MAX_CHARS + " characters");
        }
        String modelId = Requests.text(body, "model", false);
        try (ModelRegistry.Lease lease = models.lease(modelId == null ? e.model() : modelId)) {
            ModelRegistry.Loaded l = lease.model();
            if (!l.id.equals(e.model())) {
                throw ApiException.badRequest("SAE " + e.id() + " reads model '" + e.model() + "', not '" + l.id
                        + "'");
            }
            int topK = Requests.integer(body, "top_k", 5, 1, 100);
            int[] watched = watchedLatents(body.get("latents"), e.sae().dSae());
            json(ctx, 200, saeCodes(l, e, text, topK, watched));
        }
    }

    /** Per token and over the text, the SAE's strongest latents (and the watched ones); under a lease on {@code l}. */
    private ObjectNode saeCodes(ModelRegistry.Loaded l, SaeRegistry.Entry e, String text, int topK, int[] watched) {
        requireTokenizer(l.lm);
        requireWithinContext(l, List.of(text));
        ObjectNode out = Json.object();
        out.put("sae", e.id());
        out.put("model", l.id);
        out.put("layer", e.layer());
        out.put("text", text);
        l.lockOpen();
        try (LayerActivationDetector d = new LayerActivationDetector(e.layer())) {
            String hookId = l.lm.layers().registerHook(e.layer(), d);
            try (InferenceResult result = l.lm.inference().executeInference(List.of(text))) {
                NDArray x = d.getCaptured();
                if (x == null) {
                    throw new ApiException(500, "layer '" + e.layer() + "' did not run");
                }
                long[] ids = result.encodings().inputIds()[0];
                String[] tokens = result.encodings().tokens()[0];
                int t = ids.length;
                float[] codes;
                int nLatents;
                synchronized (e) {
                    if (!saes.isLoaded(e)) {
                        throw ApiException.notFound("SAE '" + e.id() + "' was deleted");
                    }
                    NDArray flat = x.toType(DataType.FLOAT32, false).reshape(t, -1);
                    try (NDArray c = e.sae().encode(flat)) {
                        codes = c.toFloatArray();
                    }
                    nLatents = e.sae().dSae();
                }
                ArrayNode perToken = out.putArray("tokens");
                float[] maxPerLatent = new float[nLatents];
                java.util.Arrays.fill(maxPerLatent, Float.NEGATIVE_INFINITY);
                for (int i = 0; i < t; i++) {
                    float[] row = java.util.Arrays.copyOfRange(codes, i * nLatents, (i + 1) * nLatents);
                    ObjectNode tok = perToken.addObject();
                    tok.put("position", i);
                    tok.put("id", ids[i]);
                    tok.put("text", tokens[i]);
                    int active = 0;
                    for (int j = 0; j < nLatents; j++) {
                        maxPerLatent[j] = Math.max(maxPerLatent[j], row[j]);
                        if (row[j] != 0) {
                            active++;
                        }
                    }
                    tok.put("active", active);
                    tok.set("top_latents", top(row, topK));
                    if (watched.length > 0) {
                        ObjectNode values = tok.putObject("values");
                        for (int j : watched) {
                            values.put(Integer.toString(j), row[j]);
                        }
                    }
                }
                out.set("top_latents", top(maxPerLatent, topK));
            } finally {
                l.lm.layers().unregisterHook(hookId);
            }
        } finally {
            l.lock.unlock();
        }
        return out;
    }

    /** The optional "latents" of an SAE inference: at most 16 latent indices in [0, nLatents). */
    private static int[] watchedLatents(JsonNode given, int nLatents) {
        if (given == null || given.isNull()) {
            return new int[0];
        }
        if (!given.isArray() || given.size() > 16) {
            throw ApiException.badRequest("'latents' must be an array of at most 16 latent indices");
        }
        int[] out = new int[given.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = given.get(i);
            if (!Requests.isIntegerIn(v, 0, nLatents - 1)) {
                throw ApiException.badRequest("'latents' must hold integers from 0 to " + (nLatents - 1) + ", got " + v);
            }
            out[i] = v.intValue();
        }
        return out;
    }

    /** Generated token ids as [{"id","text"}], each decoded on its own. */
    static ArrayNode tokens(LanguageModel lm, long[] ids) {
        ArrayNode tok = Json.array();
        for (long id : ids) {
            ObjectNode t = tok.addObject();
            t.put("id", id);
            t.put("text", lm.tokenizer().decode(new long[] {id}, false));
        }
        return tok;
    }

    private static ArrayNode top(float[] values, int k) {
        ArrayNode arr = Json.array();
        for (int j : TopK.indices(values, k)) {
            if (values[j] <= 0) {
                break;
            }
            ObjectNode n = arr.addObject();
            n.put("latent", j);
            n.put("value", values[j]);
        }
        return arr;
    }

    /**
     * 400 when a text has more tokens than the model's context. Every endpoint that reads texts refuses such a text
     * (as generate refuses a prompt that leaves no room for its new tokens) rather than answer for a cut part of it.
     * The caller holds a lease on {@code l}.
     */
    static void requireWithinContext(ModelRegistry.Loaded l, List<String> texts) {
        int context = l.lm.config().maxPositions();
        for (int i = 0; i < texts.size(); i++) {
            int tokens = l.lm.tokenizer().encode(texts.get(i)).length;
            if (tokens > context) {
                throw ApiException.badRequest("text " + i + " has " + tokens + " tokens, more than the context of "
                        + "model '" + l.id + "' (" + context + " tokens); shorten or split it");
            }
        }
    }

    static void requireTokenizer(LanguageModel lm) {
        if (!lm.hasTokenizer()) {
            throw ApiException.badRequest("the model has no tokenizer, so it cannot read text");
        }
    }
}
