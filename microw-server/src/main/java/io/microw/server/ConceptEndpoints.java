package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.MicrowException;
import io.microw.concepts.AutoencoderConcepts;
import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.LatentContext;
import io.microw.concepts.LatentStatistics;
import io.microw.concepts.OfflineTopTexts;
import io.microw.concepts.TopTextTracker;
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
 * set by hand), and the top texts and firing statistics of its latents over texts run through its model.
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
        n.put("n_size", e.sae().nLatents());
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
        int n = e.sae().nLatents();
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
        int n = e.sae().nLatents();
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
     * POST /api/saes/{id}/top-texts: runs texts through the model and keeps the tracker on the SAE entry. The model's
     * lock is taken for one batch at a time, so other requests' forwards run between batches; the batches (and so
     * the text ids, top texts and statistics) are those of one pass over all the texts.
     */
    void topTexts(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        List<String> texts = texts(body);
        int topK = Requests.integer(body, "top_k", 5, 1, 50);
        int window = Requests.integer(body, "window", 4, 0, 32);
        TopTextTracker tracker;
        long start = System.nanoTime();
        try (ModelRegistry.Lease lease = models.lease(e.model())) {
            ModelRegistry.Loaded l = lease.model();
            Endpoints.requireTokenizer(l.lm);
            Endpoints.requireWithinContext(l, texts); // before the first batch: a refused request changes nothing
            tracker = new TopTextTracker(e.sae().nLatents(), topK, 0, window, l.lm.tokenizer()::tokenText);
            for (int from = 0; from < texts.size(); from += BATCH) {
                track(l, e, texts.subList(from, Math.min(from + BATCH, texts.size())), tracker);
            }
        }
        e.tracked().set(tracker);
        LatentStatistics stats = tracker.statistics();
        int fired = 0;
        for (int j = 0; j < e.sae().nLatents(); j++) {
            fired += stats.firings(j) > 0 ? 1 : 0;
        }
        ObjectNode out = Json.object();
        out.put("sae", e.id());
        out.put("texts", tracker.textsSeen());
        out.put("tokens", stats.tokens());
        out.put("latents_fired", fired);
        out.put("seconds", (System.nanoTime() - start) / 1e9);
        Endpoints.json(ctx, 200, out);
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
                    + "\"validation\", with an optional 'limit')");
        }
        if (hasTexts) {
            return Requests.texts(body, "texts", null, MAX_TOP_TEXTS, Endpoints.MAX_CHARS);
        }
        return TextSources.brown(TextSources.brownSplit(brown), Requests.integer(body, "limit", 300, 1, MAX_TOP_TEXTS));
    }

    private static TopTextTracker tracker(SaeRegistry.Entry e) {
        TopTextTracker t = e.tracked().tracker();
        if (t == null) {
            throw ApiException.conflict("no top texts for SAE '" + e.id() + "' yet: POST /api/saes/" + e.id()
                    + "/top-texts first");
        }
        return t;
    }

    /** GET /api/saes/{id}/latents: latents that fired or are named, filtered, sorted and paged; 409 before top texts. */
    void listLatents(Context ctx) {
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        TopTextTracker tracker = tracker(e);
        String q = ctx.queryParam("q");
        String sort = Optional.ofNullable(ctx.queryParam("sort")).orElse("frequency");
        int offset = Requests.queryInt(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.queryInt(ctx, "limit", 50, 1, 1000);
        LatentStatistics stats = tracker.statistics();
        Comparator<Integer> order = switch (sort) {
            case "frequency" -> Comparator.comparingLong((Integer j) -> stats.firings(j)).reversed();
            case "max" -> Comparator.comparingDouble((Integer j) -> stats.maxActivation(j)).reversed();
            case "latent" -> Comparator.naturalOrder();
            default -> throw ApiException.badRequest("'sort' must be frequency, max or latent, got '" + sort + "'");
        };
        AutoencoderConcepts concepts = e.hook().concepts();
        List<Integer> matches = new ArrayList<>();
        List<String> names = new ArrayList<>();
        synchronized (concepts) {
            ConceptDictionary d = concepts.dictionary();
            for (int j = 0; j < e.sae().nLatents(); j++) {
                names.add(d.get(j).map(ConceptDictionary.Concept::name).orElse(null));
            }
        }
        String needle = q == null ? "" : q.strip().toLowerCase(Locale.ROOT);
        for (int j = 0; j < names.size(); j++) {
            String name = names.get(j);
            boolean listed = stats.firings(j) > 0 || name != null;
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
        out.put("tokens", stats.tokens());
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
            putStatistics(n, stats, j);
        }
        Endpoints.json(ctx, 200, out);
    }

    private static void putStatistics(ObjectNode n, LatentStatistics stats, int latent) {
        Json.putNumber(n, "frequency", stats.frequency(latent));
        Json.putNumber(n, "mean", stats.meanActivation(latent));
        n.put("max", stats.maxActivation(latent)); // a float, as the contexts' activations
        n.put("firings", stats.firings(latent));
    }

    /** GET /api/saes/{id}/latents/{latent}: one latent's name, statistics, histogram and top contexts. */
    void getLatent(Context ctx) {
        SaeRegistry.Entry e = saes.get(ctx.pathParam("id"));
        int latent = Requests.pathInt(ctx, "latent");
        if (latent < 0 || latent >= e.sae().nLatents()) {
            throw ApiException.notFound("no latent " + latent + " in SAE '" + e.id() + "': it has latents 0 to "
                    + (e.sae().nLatents() - 1));
        }
        TopTextTracker tracker = tracker(e);
        LatentStatistics stats = tracker.statistics();
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
        putStatistics(out, stats, latent);
        out.put("tokens", stats.tokens());
        ObjectNode histogram = out.putObject("histogram");
        ArrayNode edges = histogram.putArray("edges");
        float upper = stats.histogramUpper(latent);
        for (int i = 0; i <= LatentStatistics.BINS; i++) {
            edges.add(upper * i / LatentStatistics.BINS);
        }
        ArrayNode counts = histogram.putArray("counts");
        for (long count : stats.histogram(latent)) {
            counts.add(count);
        }
        ArrayNode top = out.putArray("top");
        for (LatentContext t : tracker.topTexts(latent)) {
            ObjectNode n = top.addObject();
            n.put("text_id", t.textId());
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
}
