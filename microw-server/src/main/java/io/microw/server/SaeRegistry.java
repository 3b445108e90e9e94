package io.microw.server;

import io.microw.concepts.LatentSummary;
import io.microw.concepts.SaeHook;
import io.microw.concepts.TopTextSource;
import io.microw.concepts.TopTextTracker;
import io.microw.sae.Sae;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** SAEs loaded on the server, by id ("sae-1", "sae-2", ...), each with the model and layer it reads. */
final class SaeRegistry implements AutoCloseable {

    /**
     * A loaded SAE.
     *
     * @param path    its folder
     * @param shown   its folder as responses show it, relative to the server's roots ({@link PathGuard#display})
     * @param hook    the SAE with its concept state (dictionary, manipulations), attached while steering
     * @param tracked its last computed or imported top texts, if any
     */
    record Entry(String id, Path path, String shown, String model, String layer, SaeHook hook, Tracked tracked) {

        /** The SAE itself. */
        Sae sae() {
            return hook.sae();
        }
    }

    /**
     * An SAE's top texts: computed by POST /api/saes/{id}/top-texts, or imported there from an exported file.
     *
     * @param texts     the contexts per latent
     * @param stats     firing statistics over the same tokens, or null when an imported file came without them
     * @param textCount texts run through the model, or -1 when imported
     * @param file      the imported file as responses show it, or null when computed
     */
    record TopTexts(TopTextSource texts, LatentSummary stats, long textCount, String file) {

        /** Computed by a tracker: its contexts, statistics and text count. */
        static TopTexts computed(TopTextTracker tracker) {
            return new TopTexts(tracker, tracker.statistics(), tracker.textsSeen(), null);
        }
    }

    /** The top texts last computed or imported for an SAE (POST /api/saes/{id}/top-texts). */
    static final class Tracked {
        private TopTexts texts;

        /** The last top texts, or null before the first. */
        synchronized TopTexts get() {
            return texts;
        }

        /** Replaces the top texts with new ones. */
        synchronized void set(TopTexts t) {
            texts = t;
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    synchronized Entry add(Path path, String shown, String model, String layer, Sae sae) {
        Entry e = new Entry("sae-" + next.getAndIncrement(), path, shown, model, layer, new SaeHook(sae),
                new Tracked());
        entries.put(e.id(), e);
        return e;
    }

    synchronized Entry get(String id) {
        Entry e = entries.get(id);
        if (e == null) {
            throw ApiException.notFound("no SAE '" + id + "'; GET /api/saes lists the loaded ones");
        }
        return e;
    }

    /** Whether {@code e} is still loaded (not deleted); check under the entry's monitor before using its SAE. */
    synchronized boolean isLoaded(Entry e) {
        return entries.get(e.id()) == e;
    }

    synchronized Map<String, Entry> all() {
        return new LinkedHashMap<>(entries);
    }

    /** Removes an SAE; it is closed once no request uses it (callers encode under the entry's monitor). */
    Entry remove(String id) {
        Entry e;
        synchronized (this) {
            e = entries.remove(id);
        }
        if (e == null) {
            throw ApiException.notFound("no SAE '" + id + "'");
        }
        synchronized (e) {
            e.sae().close();
        }
        return e;
    }

    @Override
    public synchronized void close() {
        entries.values().forEach(e -> {
            synchronized (e) {
                e.sae().close();
            }
        });
        entries.clear();
    }
}
