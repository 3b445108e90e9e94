package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.MicrowException;
import io.microw.concepts.AutoencoderConcepts;
import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.LatentContext;
import io.microw.concepts.LatentSummary;
import io.microw.concepts.OfflineTopTexts;
import io.microw.concepts.TopTextTracker;
import io.microw.concepts.TopTextsFile;
import io.microw.data.Datasets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What an SAE's latents mean: its concept dictionary (names per latent, loaded from mi-crow JSON or CSV files or
 * set by hand), and the top texts and firing statistics of its latents over texts run through its model or imported
 * from an exported file.
 *
 * @param config the server's configuration (its file roots)
 * @param models the loaded models
 * @param saes the loaded SAEs
 */
record ConceptEndpoints(ServerConfig config, ModelRegistry models, SaeRegistry saes) {

    static final int MAX_TOP_TEXTS = 5000;
    private static final int BATCH = 16;

    // ---- the dictionary

    /** GET /api/saes/{id}/concepts?q=: the named latents, optionally filtered by name. */
    void listConcepts(Context ctx) {
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        Endpoints.json(ctx, 200, describeDictionary(e, ctx.queryParam("q")));
    }

    private static ObjectNode describeDictionary(SaeRegistry.Entry e, String q) {
        AutoencoderConcepts concepts = e.hook().concepts();
        ObjectNode n = Json.object();
        n.put("sae", e.id());
        n.put("n_size", e.sae().dSae());
        ArrayNode list = n.putArray("concepts");
        synchronized (concepts) {
            ConceptDictionary d = concepts.dictionary();
            for (ConceptDictionary.Concept c : q == null || q.isEmpty() ? d.concepts() : d.find(q)) {
                list.add(concept(c));
            }
        }
        return n;
    }

    private static ObjectNode concept(ConceptDictionary.Concept c) {
        ObjectNode n = Json.object();
        n.put("latent", c.latent());
        n.put("name", c.name());
        Json.putNumber(n, "score", c.score());
        n.put("description", c.description());
        return n;
    }

    /** POST /api/saes/{id}/concepts: replaces the dictionary from a file in the file roots or a map. */
    void loadConcepts(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        int n = e.sae().dSae();
        boolean hasPath = body.hasNonNull("path");
        boolean hasMap = body.hasNonNull("concepts");
        if (hasPath == hasMap) {
            throw ApiException.badRequest("give either 'path' (a mi-crow concepts .json or .csv in the file roots) or "
                    + "'concepts' ({\"<latent>\": {\"name\", \"score\"}})");
        }
        ConceptDictionary d;
        if (hasPath) {
            Path file = PathGuard.confine(Requests.text(body, "path", true), config.allFileRoots(), "path");
            String shown = PathGuard.display(file, config);
            if (!Files.isRegularFile(file)) {
                throw ApiException.notFound("no concept dictionary file at " + shown);
            }
            try {
                d = ConceptDictionary.load(file, n);
            } catch (MicrowException | IllegalArgumentException | java.io.UncheckedIOException ex) {
                throw ApiException.badRequest("'path': cannot load the concept dictionary " + shown + ": "
                        + PathGuard.redact(ex.getMessage(), config));
            }
        } else {
            d = fromMap(body.get("concepts"), n);
        }
        AutoencoderConcepts concepts = e.hook().concepts();
        synchronized (concepts) {
            concepts.setDictionary(d);
        }
        Endpoints.json(ctx, 201, describeDictionary(e, null));
    }

    private static ConceptDictionary fromMap(JsonNode map, int n) {
        if (!map.isObject()) {
            throw ApiException.badRequest("'concepts' must be an object {\"<latent>\": {\"name\", \"score\"}}");
        }
        ConceptDictionary d = ConceptDictionary.forLatents(n);
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            int latent = latentKey(f.getKey(), n);
            JsonNode c = f.getValue();
            String name = c.isObject() ? Requests.text(c, "name", true) : null;
            if (name == null || name.isBlank()) {
                throw ApiException.badRequest("'concepts." + f.getKey() + "' needs a non-empty string 'name'");
            }
            Double score = Requests.number(c, "score");
            d.set(latent, name, "", score == null ? 1.0 : score, "manual");
        }
        return d;
    }

    private static int latentKey(String key, int n) {
        try {
            int latent = Integer.parseInt(key);
            if (latent >= 0 && latent < n) {
                return latent;
            }
        } catch (NumberFormatException ex) {
            // the 400 below
        }
        throw ApiException.badRequest("'concepts' keys must be latent indices from 0 to " + (n - 1) + ", got '" + key
                + "'");
    }

    /** PUT /api/saes/{id}/concepts/{latent}: names one latent; an empty name removes its concept. */
    void nameConcept(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        int latent = Requests.pathInt(ctx, "latent");
        int n = e.sae().dSae();
        if (latent < 0 || latent >= n) {
            throw ApiException.badRequest("'latent' must be from 0 to " + (n - 1) + ", got " + latent);
        }
        String name = Requests.text(body, "name", true);
        Double score = Requests.number(body, "score");
        ObjectNode out = Json.object();
        out.put("latent", latent);
        AutoencoderConcepts concepts = e.hook().concepts();
        synchronized (concepts) {
            ConceptDictionary d = concepts.dictionary();
            if (name.isBlank()) {
                out.put("name", "");
                out.putNull("score");
                out.put("removed", d.remove(latent));
            } else {
                double kept = d.get(latent).map(ConceptDictionary.Concept::score).orElse(1.0);
                out.setAll(concept(d.set(latent, name.strip(), "", score == null ? kept : score, "manual")));
            }
        }
        Endpoints.json(ctx, 200, out);
    }

    // ---- top texts and statistics

    /**
     * POST /api/saes/{id}/top-texts: runs texts through the model and keeps the tracker on the SAE entry, or (with
     * "path") imports top texts exported before ({@link TopTextsImport}). The model's lock is taken for one batch at a
     * time, so other requests' forwards run between batches; the batches (and so the text ids, top texts and
     * statistics) are those of one pass over all the texts.
     */
    void topTexts(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        long start = System.nanoTime();
        SaeRegistry.TopTexts top;
        if (body.hasNonNull("path")) {
            if (body.hasNonNull("texts") || body.hasNonNull("brown")) {
                throw ApiException.badRequest("give one of 'path' (an exported top-texts file), 'texts' or 'brown'");
            }
            top = TopTextsImport.read(body, e.sae().dSae(), config);
        } else if (body.hasNonNull("statistics")) {
            throw ApiException.badRequest("'statistics' goes with 'path' (computed top texts bring their own)");
        } else {
            top = SaeRegistry.TopTexts.computed(compute(body, e));
        }
        e.tracked().set(top);
        int fired = 0;
        for (int j = 0; j < e.sae().dSae(); j++) {
            fired += fired(top, j) ? 1 : 0;
        }
        ObjectNode out = describe(top);
        out.put("sae", e.id());
        out.put("latents_fired", fired);
        out.put("seconds", (System.nanoTime() - start) / 1e9);
        Endpoints.json(ctx, 200, out);
    }

    private TopTextTracker compute(ObjectNode body, SaeRegistry.Entry e) {
        List<String> texts = texts(body);
        int topK = Requests.integer(body, "top_k", 5, 1, 50);
        int window = Requests.integer(body, "window", 4, 0, 32);
        try (ModelRegistry.Lease lease = models.lease(e.model())) {
            ModelRegistry.Loaded l = lease.model();
            Endpoints.requireTokenizer(l.lm);
            Endpoints.requireWithinContext(l, texts); // before the first batch: a refused request changes nothing
            TopTextTracker tracker = new TopTextTracker(e.sae().dSae(), topK, 0, window,
                    l.lm.tokenizer()::tokenText);
            for (int from = 0; from < texts.size(); from += BATCH) {
                track(l, e, texts.subList(from, Math.min(from + BATCH, texts.size())), tracker);
            }
            return tracker;
        }
    }

    /**
     * What an SAE's top texts cover: texts and tokens (null when unknown: imported without statistics), whether
     * statistics are known, and the imported file (null when computed) with its format.
     */
    static ObjectNode describe(SaeRegistry.TopTexts top) {
        ObjectNode n = Json.object();
        if (top.textCount() < 0) {
            n.putNull("texts");
        } else {
            n.put("texts", top.textCount());
        }
        if (top.stats() == null) {
            n.putNull("tokens");
        } else {
            n.put("tokens", top.stats().tokens());
        }
        n.put("statistics", top.stats() != null);
        n.put("file", top.file());
        if (top.texts() instanceof TopTextsFile f) {
            n.put("format", f.format().name().toLowerCase(Locale.ROOT));
            n.put("windows", f.hasWindows());
        }
        return n;
    }

    /** Whether a latent fired: by its statistics, or (without them) by its having a context. */
    private static boolean fired(SaeRegistry.TopTexts top, int latent) {
        return top.stats() != null ? top.stats().firings(latent) > 0 : !top.texts().topTexts(latent).isEmpty();
    }

    /** A latent's largest activation: from its statistics, or (without them) its strongest context's. */
    private static float max(SaeRegistry.TopTexts top, int latent) {
        if (top.stats() != null) {
            return top.stats().maxActivation(latent);
        }
        List<LatentContext> contexts = top.texts().topTexts(latent);
        return contexts.isEmpty() ? 0 : contexts.get(0).activation();
    }

    /**
     * Feeds one batch of texts to {@code tracker}, under the model's lock and the SAE entry's monitor; 409 when the
     * model is being unloaded, 404 when the SAE was deleted.
     */
    private void track(ModelRegistry.Loaded l, SaeRegistry.Entry e, List<String> batch, TopTextTracker tracker) {
        l.lockOpen();
        try {
            synchronized (e) {
                if (!saes.isLoaded(e)) {
                    throw ApiException.notFound("SAE '" + e.id() + "' was deleted");
                }
                OfflineTopTexts.fromDataset(l.lm, e.sae(), e.layer(), Datasets.fromTexts("request", batch), BATCH,
                        tracker);
            }
        } finally {
            l.lock.unlock();
        }
    }

    /** "texts" (at most 5000), or "brown" with "limit" (default 300, at most 5000). */
    private static List<String> texts(ObjectNode body) {
        boolean hasTexts = body.hasNonNull("texts");
        String brown = Requests.text(body, "brown", false);
        if (hasTexts == (brown != null)) {
            throw ApiException.badRequest("give either 'texts' (an array of strings) or 'brown' (\"train\" or "
                    + "\"validation\", with an optional 'limit'), or 'path' (an exported top-texts file)");
        }
        if (hasTexts) {
            return Requests.texts(body, "texts", null, MAX_TOP_TEXTS, Endpoints.MAX_CHARS);
        }
        return TextSources.brown(TextSources.brownSplit(brown), Requests.integer(body, "limit", 300, 1, MAX_TOP_TEXTS));
    }

    private static SaeRegistry.TopTexts topTexts(SaeRegistry.Entry e) {
        SaeRegistry.TopTexts t = e.tracked().get();
        if (t == null) {
            throw ApiException.conflict("no top texts for SAE '" + e.id() + "' yet: POST /api/saes/" + e.id()
                    + "/top-texts first");
        }
        return t;
    }

    /** GET /api/saes/{id}/latents: latents that fired or are named, filtered, sorted and paged; 409 before top texts. */
    void listLatents(Context ctx) {
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        SaeRegistry.TopTexts top = topTexts(e);
        String q = ctx.queryParam("q");
        String sort = Optional.ofNullable(ctx.queryParam("sort")).orElse("frequency");
        int offset = Requests.queryInt(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.queryInt(ctx, "limit", 50, 1, 1000);
        LatentSummary stats = top.stats();
        Comparator<Integer> byMax = Comparator.comparingDouble((Integer j) -> max(top, j)).reversed();
        Comparator<Integer> order = switch (sort) {
            case "frequency" -> stats == null ? byMax // unknown without statistics: as max
                    : Comparator.comparingLong((Integer j) -> stats.firings(j)).reversed();
            case "max" -> byMax;
            case "latent" -> Comparator.naturalOrder();
            default -> throw ApiException.badRequest("'sort' must be frequency, max or latent, got '" + sort + "'");
        };
        AutoencoderConcepts concepts = e.hook().concepts();
        List<Integer> matches = new ArrayList<>();
        List<String> names = new ArrayList<>();
        synchronized (concepts) {
            ConceptDictionary d = concepts.dictionary();
            for (int j = 0; j < e.sae().dSae(); j++) {
                names.add(d.get(j).map(ConceptDictionary.Concept::name).orElse(null));
            }
        }
        String needle = q == null ? "" : q.strip().toLowerCase(Locale.ROOT);
        for (int j = 0; j < names.size(); j++) {
            String name = names.get(j);
            boolean listed = fired(top, j) || name != null;
            boolean matching = needle.isEmpty() || needle.equals(Integer.toString(j))
                    || name != null && name.toLowerCase(Locale.ROOT).contains(needle);
            if (listed && matching) {
                matches.add(j);
            }
        }
        matches.sort(order.thenComparing(Comparator.naturalOrder()));
        ObjectNode out = Json.object();
        out.put("sae", e.id());
        out.put("total", matches.size());
        out.setAll(describe(top));
        ArrayNode list = out.putArray("latents");
        for (int i = offset; i < matches.size() && i < (long) offset + limit; i++) {
            int j = matches.get(i);
            ObjectNode n = list.addObject();
            n.put("latent", j);
            if (names.get(j) == null) {
                n.putNull("name");
            } else {
                n.put("name", names.get(j));
            }
            putStatistics(n, top, j);
        }
        Endpoints.json(ctx, 200, out);
    }

    /** A latent's frequency, mean, max and firings; without statistics only max (its strongest context's). */
    private static void putStatistics(ObjectNode n, SaeRegistry.TopTexts top, int latent) {
        LatentSummary stats = top.stats();
        if (stats == null) {
            n.putNull("frequency");
            n.putNull("mean");
            n.putNull("firings");
        } else {
            Json.putNumber(n, "frequency", stats.frequency(latent));
            Json.putNumber(n, "mean", stats.meanActivation(latent));
            n.put("firings", stats.firings(latent));
        }
        n.put("max", max(top, latent)); // a float, as the contexts' activations
    }

    /** GET /api/saes/{id}/latents/{latent}: one latent's name, statistics, histogram and top contexts. */
    void getLatent(Context ctx) {
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        int latent = Requests.pathInt(ctx, "latent");
        if (latent < 0 || latent >= e.sae().dSae()) {
            throw ApiException.notFound("no latent " + latent + " in SAE '" + e.id() + "': it has latents 0 to "
                    + (e.sae().dSae() - 1));
        }
        SaeRegistry.TopTexts top = topTexts(e);
        ObjectNode out = Json.object();
        out.put("sae", e.id());
        out.put("latent", latent);
        AutoencoderConcepts concepts = e.hook().concepts();
        Optional<ConceptDictionary.Concept> c;
        synchronized (concepts) {
            c = concepts.dictionary().get(latent);
        }
        if (c.isPresent()) {
            out.put("name", c.get().name());
            Json.putNumber(out, "score", c.get().score());
        } else {
            out.putNull("name");
            out.putNull("score");
        }
        putStatistics(out, top, latent);
        out.setAll(describe(top));
        putHistogram(out, top.stats(), latent);
        ArrayNode list = out.putArray("top");
        for (LatentContext t : top.texts().topTexts(latent)) {
            ObjectNode n = list.addObject();
            if (t.textId() < 0) {
                n.putNull("text_id"); // mi-crow's CSV has no text ids
            } else {
                n.put("text_id", t.textId());
            }
            n.put("text", t.text());
            n.put("position", t.position());
            n.put("token", t.token());
            n.put("activation", t.activation());
            ArrayNode tokens = n.putArray("tokens");
            t.window().forEach(tokens::add);
            ArrayNode activations = n.putArray("activations");
            t.windowActivations().forEach(activations::add);
            n.put("center", t.position() - t.windowStart());
        }
        Endpoints.json(ctx, 200, out);
    }

    /** The latent's histogram as edges and counts; null when there are no statistics or they have no histogram. */
    private static void putHistogram(ObjectNode out, LatentSummary stats, int latent) {
        long[] counts = stats == null ? new long[0] : stats.histogram(latent);
        if (counts.length == 0) {
            out.putNull("histogram");
            return;
        }
        ObjectNode histogram = out.putObject("histogram");
        ArrayNode edges = histogram.putArray("edges");
        float upper = stats.histogramUpper(latent);
        for (int i = 0; i <= counts.length; i++) {
            edges.add(upper * i / counts.length);
        }
        ArrayNode list = histogram.putArray("counts");
        for (long count : counts) {
            list.add(count);
        }
    }
}
