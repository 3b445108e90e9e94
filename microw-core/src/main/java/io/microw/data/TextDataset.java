package io.microw.data;

import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;

/**
 * A sequence of texts that can be read in batches, in a fixed order: the input of activation saving. Its
 * sources (files, the Hub) and loading strategies (in memory, on disk, streaming) are the subclasses' business.
 */
public abstract class TextDataset {

    /** Batches of at most {@code batchSize} texts, in dataset order; each call starts from the beginning. */
    public abstract Iterator<List<String>> iterBatches(int batchSize);

    /** Number of texts, when known without reading everything (streaming sources may not know). */
    public abstract OptionalLong length();

    /** One line saying where the texts come from (stored in run metadata). */
    public abstract String describe();
}
