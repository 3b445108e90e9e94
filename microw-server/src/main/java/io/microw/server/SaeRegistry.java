package io.microw.server;

import io.microw.sae.Sae;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** SAEs loaded on the server, by id ("sae-1", "sae-2", ...), each with the model and layer it reads. */
final class SaeRegistry implements AutoCloseable {

    /** A loaded SAE. */
    record Entry(String id, Path path, String model, String layer, Sae sae) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    synchronized Entry add(Path path, String model, String layer, Sae sae) {
        Entry e = new Entry("sae-" + next.getAndIncrement(), path, model, layer, sae);
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
