package io.microw.data;

import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * A sequence of texts that can be read in batches, in a fixed order: the input of activation saving. Its
 * sources (files, the Hub) and loading strategies (in memory, on disk, streaming) are the subclasses' business;
 * {@link Datasets} makes them. {@link #filter}, {@link #limit} and {@link #shuffled} give derived datasets.
 */
public abstract class TextDataset {

    /**
     * Batches of at most {@code batchSize} texts, in dataset order; each call starts from the beginning.
     *
     * @param batchSize the most texts per batch
     * @return the batches
     */
    public abstract Iterator<List<String>> iterBatches(int batchSize);

    /**
     * Number of texts, when known without reading everything (streaming sources may not know).
     *
     * @return the number of texts, or empty when unknown
     */
    public abstract OptionalLong length();

    /**
     * One line saying where the texts come from (stored in run metadata).
     *
     * @return the description
     */
    public abstract String describe();

    /** Shuffle buffer size used by {@link #shuffled(long)} for datasets not held in memory. */
    public static final int DEFAULT_SHUFFLE_BUFFER = 10_000;

    /**
     * The texts {@code keep} accepts, in the same order (read lazily, as this dataset is).
     *
     * @param keep decides, per text, whether it stays
     * @return the filtered dataset
     */
    public TextDataset filter(Predicate<String> keep) {
        return SourceDataset.wrap(this).filter(keep);
    }

    /**
     * The first {@code n} texts.
     *
     * @param n the most texts kept
     * @return the shortened dataset
     */
    public TextDataset limit(long n) {
        return SourceDataset.wrap(this).limit(n);
    }

    /**
     * The texts in an order fixed by {@code seed}: a full permutation for an in-memory dataset, else a mix through a
     * buffer of {@link #DEFAULT_SHUFFLE_BUFFER} texts (memory stays bounded; texts move at most that far forward).
     *
     * @param seed fixes the order
     * @return the shuffled dataset
     */
    public TextDataset shuffled(long seed) {
        return shuffled(seed, DEFAULT_SHUFFLE_BUFFER);
    }

    /**
     * As {@link #shuffled(long)} with a shuffle buffer of {@code bufferSize} texts where one is used.
     *
     * @param seed       fixes the order
     * @param bufferSize the shuffle buffer's size, in texts
     * @return the shuffled dataset
     */
    public TextDataset shuffled(long seed, int bufferSize) {
        return SourceDataset.wrap(this).shuffled(seed, bufferSize);
    }

    /**
     * Bad rows skipped in the last complete pass (lenient mode); 0 when none or not applicable.
     *
     * @return the number of skipped rows
     */
    public long skippedRows() {
        return 0;
    }
}
