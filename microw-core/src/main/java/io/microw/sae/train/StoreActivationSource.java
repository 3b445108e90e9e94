package io.microw.sae.train;

import io.microw.store.StoreDataLoader;

import java.util.Iterator;

/**
 * Training rows from a saved activation run, through a configured {@link StoreDataLoader}; the next batches are read
 * on a background thread while the current one trains.
 */
public final class StoreActivationSource implements ActivationSource {

    private final StoreDataLoader loader;
    private long rows = -2;

    /**
     * Training rows read from a saved run through {@code loader}.
     *
     * @param loader the loader of one layer of a run
     */
    public StoreActivationSource(StoreDataLoader loader) {
        this.loader = java.util.Objects.requireNonNull(loader, "loader");
    }

    @Override
    public int width() {
        return loader.width();
    }

    @Override
    public synchronized long rowsPerEpoch() {
        if (rows == -2) {
            rows = loader.rowsPerEpoch();
        }
        return rows;
    }

    @Override
    public Iterator<float[][]> batches(int size, int epochs) {
        return new PrefetchingIterator<>(loader.withEpochs(epochs).batches(size), 2, "microw-store-reader");
    }
}
