package io.microw.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;

/**
 * Streams the rows {@code [N, d]} of one saved layer back out of a {@link Store}, for SAE training: one row per
 * token. By default only real tokens (attention mask 1) are kept; optionally special tokens (BOS/EOS/pad, from the
 * saved special-token mask) and outliers (a row whose L2 norm exceeds {@code m} times the median norm of its stored
 * batch) are dropped. Rows can be mixed in a SAELens-style {@link ShuffleBuffer} with a seed, over several epochs.
 * Memory is bounded by one stored batch plus the shuffle buffer, whatever the run's size. Tensors of rank above 3
 * ({@code [batch, seq, ...]}) are flattened to {@code d}; a rank-2 tensor {@code [batch, d]} yields one row per text.
 */
public final class StoreDataLoader implements Iterable<float[]> {

    private final Store store;
    private final String runId;
    private final String layer;
    private final String key;
    private final boolean realTokensOnly;
    private final boolean excludeSpecialTokens;
    private final double outlierFactor;
    private final int shuffleRows;
    private final long seed;
    private final int epochs;

    private StoreDataLoader(Builder b) {
        this.store = b.store;
        this.runId = b.runId;
        this.layer = b.layer;
        this.key = b.key;
        this.realTokensOnly = b.realTokensOnly;
        this.excludeSpecialTokens = b.excludeSpecialTokens;
        this.outlierFactor = b.outlierFactor;
        this.shuffleRows = b.shuffleRows;
        this.seed = b.seed;
        this.epochs = b.epochs;
    }

    /**
     * A loader of {@code layer}'s activations in run {@code runId}; configure it with the builder's setters.
     *
     * @param store the store holding the run
     * @param runId the run id
     * @param layer the saved layer's directory name
     * @return a builder with the defaults (key {@code activations}, real tokens only, one epoch, no shuffle)
     */
    public static Builder builder(Store store, String runId, String layer) {
        return new Builder(store, runId, layer);
    }

    /** Rows one at a time, every epoch in turn. */
    @Override
    public Iterator<float[]> iterator() {
        Random random = new Random(seed);
        Iterator<float[]> rows = new EpochRows();
        return shuffleRows >= 2 ? new ShuffleBuffer<>(rows, shuffleRows, random) : rows;
    }

    /**
     * Rows grouped into arrays of {@code size} rows (the last one may be shorter).
     *
     * @param size rows per batch, at least 1
     * @return an iterator over the batches
     */
    public Iterator<float[][]> batches(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + size);
        }
        Iterator<float[]> rows = iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public float[][] next() {
                if (!rows.hasNext()) {
                    throw new NoSuchElementException();
                }
                List<float[]> out = new ArrayList<>(size);
                while (out.size() < size && rows.hasNext()) {
                    out.add(rows.next());
                }
                return out.toArray(new float[0][]);
            }
        };
    }

    /**
     * Rows one epoch yields. Reads only the masks, unless outliers are dropped (that needs the activations' norms).
     *
     * @return the number of rows in one epoch
     */
    public long rowsPerEpoch() {
        long rows = 0;
        for (int batch : store.listBatches(runId)) {
            if (outlierFactor > 0) {
                rows += rowsOf(batch).size();
                continue;
            }
            long[] shape = store.readTensor(runId, batch, layer, key).shape();
            if (shape.length == 2) {
                rows += shape[0];
                continue;
            }
            for (long k : keepMask(batch, (int) shape[0], (int) shape[1])) {
                rows += k;
            }
        }
        return rows;
    }

    /**
     * This loader's activation width {@code d} (from the first stored batch).
     *
     * @return the width {@code d} of each row
     */
    public int width() {
        List<Integer> batches = store.listBatches(runId);
        if (batches.isEmpty()) {
            throw new StoreException("run '" + runId + "' has no complete batches");
        }
        long[] shape = store.readTensor(runId, batches.get(0), layer, key).shape();
        long d = 1;
        for (int i = shape.length == 2 ? 1 : 2; i < shape.length; i++) {
            d *= shape[i];
        }
        return (int) d;
    }

    /**
     * The same loader reading {@code n} epochs.
     *
     * @param n the number of epochs, at least 1
     * @return a new loader, otherwise configured like this one
     */
    public StoreDataLoader withEpochs(int n) {
        return builder(store, runId, layer).key(key).realTokensOnly(realTokensOnly)
                .excludeSpecialTokens(excludeSpecialTokens).outlierFactor(outlierFactor)
                .shuffleBufferRows(shuffleRows).seed(seed).epochs(n).build();
    }

    /** The rows of one stored batch after masking and outlier removal. */
    List<float[]> rowsOf(int batch) {
        StoredTensor t = store.readTensor(runId, batch, layer, key);
        long[] shape = t.shape();
        if (shape.length < 2) {
            throw new StoreException("tensor " + layer + "/" + key + " of batch " + batch + " has shape "
                    + Arrays.toString(shape) + "; rows need [batch, d] or [batch, seq, ...]");
        }
        float[] values = t.requireFloats();
        int texts = (int) shape[0];
        int seq = shape.length == 2 ? 1 : (int) shape[1];
        int d = (int) (values.length / ((long) texts * seq));
        long[] keep = shape.length == 2 ? null : keepMask(batch, texts, seq);
        List<float[]> rows = new ArrayList<>();
        for (int r = 0; r < texts * seq; r++) {
            if (keep == null || keep[r] != 0) {
                rows.add(Arrays.copyOfRange(values, r * d, (r + 1) * d));
            }
        }
        return outlierFactor > 0 ? dropOutliers(rows) : rows;
    }

    private long[] keepMask(int batch, int texts, int seq) {
        long[] keep = new long[texts * seq];
        Arrays.fill(keep, 1);
        if (realTokensOnly) {
            and(keep, store.readTensor(runId, batch, Store.ATTENTION_MASKS, Store.ATTENTION_MASK).requireLongs());
        }
        if (excludeSpecialTokens) {
            if (!store.batchLayers(runId, batch).contains(Store.SPECIAL_TOKENS_MASK)) {
                throw new StoreException("run '" + runId + "' has no special-token mask in batch " + batch
                        + "; save it with input ids (SaveOptions.withSaveInputIds(true)) or leave special tokens in");
            }
            long[] special = store.readTensor(runId, batch, Store.SPECIAL_TOKENS_MASK, Store.SPECIAL_TOKENS_MASK)
                    .requireLongs();
            for (int i = 0; i < keep.length; i++) {
                keep[i] &= special[i] == 0 ? 1 : 0;
            }
        }
        return keep;
    }

    private static void and(long[] keep, long[] mask) {
        if (mask.length != keep.length) {
            throw new StoreException("attention mask has " + mask.length + " entries, activations " + keep.length
                    + " tokens");
        }
        for (int i = 0; i < keep.length; i++) {
            keep[i] &= mask[i] != 0 ? 1 : 0;
        }
    }

    private List<float[]> dropOutliers(List<float[]> rows) {
        if (rows.isEmpty()) {
            return rows;
        }
        double[] norms = rows.stream().mapToDouble(StoreDataLoader::norm).toArray();
        double[] sorted = norms.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        List<float[]> kept = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            if (norms[i] <= outlierFactor * median) {
                kept.add(rows.get(i));
            }
        }
        return kept;
    }

    private static double norm(float[] row) {
        double s = 0;
        for (float v : row) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    /** Walks the run's batches epoch after epoch, holding one stored batch's rows at a time. */
    private final class EpochRows implements Iterator<float[]> {

        private final List<Integer> batches = store.listBatches(runId);
        private int epoch;
        private int nextBatch;
        private Iterator<float[]> current = Collections.emptyIterator();

        @Override
        public boolean hasNext() {
            while (!current.hasNext()) {
                if (nextBatch == batches.size()) {
                    epoch++;
                    nextBatch = 0;
                }
                if (epoch >= epochs || batches.isEmpty()) {
                    return false;
                }
                current = rowsOf(batches.get(nextBatch++)).iterator();
            }
            return true;
        }

        @Override
        public float[] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }
    }

    /** Settings of a {@link StoreDataLoader}. */
    public static final class Builder {

        private final Store store;
        private final String runId;
        private final String layer;
        private String key = Store.ACTIVATIONS;
        private boolean realTokensOnly = true;
        private boolean excludeSpecialTokens;
        private double outlierFactor;
        private int shuffleRows;
        private long seed;
        private int epochs = 1;

        private Builder(Store store, String runId, String layer) {
            this.store = Objects.requireNonNull(store, "store");
            this.runId = StoreNames.check("run id", runId);
            this.layer = StoreNames.check("layer name", layer);
        }

        /**
         * The tensor key within the layer (default {@code activations}; a detector's id for its data).
         *
         * @param key the tensor key
         * @return this builder
         */
        public Builder key(String key) {
            this.key = StoreNames.check("tensor key", key);
            return this;
        }

        /**
         * Keep only tokens whose attention mask is 1 (default true).
         *
         * @param on whether padding is dropped
         * @return this builder
         */
        public Builder realTokensOnly(boolean on) {
            this.realTokensOnly = on;
            return this;
        }

        /**
         * Also drop special tokens (BOS/EOS/pad...) using the saved special-token mask (default false).
         *
         * @param on whether special tokens are dropped
         * @return this builder
         */
        public Builder excludeSpecialTokens(boolean on) {
            this.excludeSpecialTokens = on;
            return this;
        }

        /**
         * Drop rows whose norm exceeds {@code factor} × the median norm of their stored batch; 0 turns it off.
         *
         * @param factor the factor, at least 0
         * @return this builder
         */
        public Builder outlierFactor(double factor) {
            if (factor < 0 || Double.isNaN(factor)) {
                throw new IllegalArgumentException("outlier factor must be >= 0 (0 = off), got " + factor);
            }
            this.outlierFactor = factor;
            return this;
        }

        /**
         * Mix rows in a buffer of this many rows (0 = keep store order; else at least 2).
         *
         * @param rows the buffer size: 0 or at least 2
         * @return this builder
         */
        public Builder shuffleBufferRows(int rows) {
            if (rows < 0 || rows == 1) {
                throw new IllegalArgumentException("shuffle buffer must be 0 (off) or at least 2 rows, got " + rows);
            }
            this.shuffleRows = rows;
            return this;
        }

        /**
         * Seed of the shuffle.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Passes over the run (default 1).
         *
         * @param epochs the number of passes, at least 1
         * @return this builder
         */
        public Builder epochs(int epochs) {
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
            }
            this.epochs = epochs;
            return this;
        }

        /**
         * The loader; checks that the run exists.
         *
         * @return the configured loader
         */
        public StoreDataLoader build() {
            if (!store.hasRun(runId)) {
                throw new StoreException("no run '" + runId + "' in the store; runs: " + store.listRuns());
            }
            return new StoreDataLoader(this);
        }
    }
}
