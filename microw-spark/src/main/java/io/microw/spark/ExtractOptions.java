package io.microw.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * Options of {@link MicrowSpark#extractActivations}: where the Parquet dataset goes (a local path or any Hadoop file
 * system URI), whether an existing output may be replaced, which input column (if any) holds the text ids, texts per
 * forward, the maximum length, how many texts each task sorts by length at once (what bounds a task's memory), and
 * the model's threads per executor and the layer columns' {@link ActivationLayout}. Immutable and serializable; each
 * {@code with...} returns a changed copy.
 */
public final class ExtractOptions implements Serializable {

    private final String output;
    private boolean overwrite;
    private String idColumn;
    private int batchSize = 8;
    private int maxLength;
    private int sortWindow = 4096;
    private int threads;
    private ActivationLayout layout = ActivationLayout.FLOAT_ARRAY;

    private ExtractOptions(String output) {
        this.output = output;
    }

    /**
     * Writes to {@code output}; defaults: no overwrite, ids by row order, batches of 8 texts, the model's context as
     * maximum length, sorting windows of 4096 texts, as many model threads as the executor has cores, layer columns as
     * {@code array<float>}.
     *
     * @param output the output directory (path or URI)
     * @return the options
     */
    public static ExtractOptions into(String output) {
        Objects.requireNonNull(output, "output");
        if (output.isBlank()) {
            throw new IllegalArgumentException("output path is blank; name a directory or a URI such as hdfs://...");
        }
        return new ExtractOptions(output);
    }

    private ExtractOptions copy() {
        ExtractOptions o = new ExtractOptions(output);
        o.overwrite = overwrite;
        o.idColumn = idColumn;
        o.batchSize = batchSize;
        o.maxLength = maxLength;
        o.sortWindow = sortWindow;
        o.threads = threads;
        o.layout = layout;
        return o;
    }

    /**
     * Whether an existing output is replaced (default: refused).
     *
     * @param on true to replace
     * @return the changed copy
     */
    public ExtractOptions withOverwrite(boolean on) {
        ExtractOptions o = copy();
        o.overwrite = on;
        return o;
    }

    /**
     * The input column of integral text ids written as {@code text_id}; {@code null} (default) numbers the texts in the
     * input's order from 0.
     *
     * @param column a long or int column, or {@code null}
     * @return the changed copy
     */
    public ExtractOptions withIdColumn(String column) {
        ExtractOptions o = copy();
        o.idColumn = column;
        return o;
    }

    /**
     * Texts per forward (default 8).
     *
     * @param size at least 1
     * @return the changed copy
     */
    public ExtractOptions withBatchSize(int size) {
        ExtractOptions o = copy();
        o.batchSize = positive("batch size", size);
        return o;
    }

    /**
     * Tokens kept per text; 0 (default) means the model's context; longer texts are truncated.
     *
     * @param length 0 or more
     * @return the changed copy
     */
    public ExtractOptions withMaxLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("max length is " + length + "; expected 0 (the model's context) or more");
        }
        ExtractOptions o = copy();
        o.maxLength = length;
        return o;
    }

    /**
     * Texts a task reads, sorts by length and runs before reading more (default 4096): bounds a task's memory.
     *
     * @param texts at least 1
     * @return the changed copy
     */
    public ExtractOptions withSortWindow(int texts) {
        ExtractOptions o = copy();
        o.sortWindow = positive("sort window", texts);
        return o;
    }

    /**
     * The model's intra-op threads in each executor JVM; 0 (default) uses the executor's cores.
     *
     * @param count 0 or more
     * @return the changed copy
     */
    public ExtractOptions withThreads(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("threads is " + count + "; expected 0 (the executor's cores) or more");
        }
        ExtractOptions o = copy();
        o.threads = count;
        return o;
    }

    /**
     * How each layer's vector is stored: {@link ActivationLayout#FLOAT_ARRAY} ({@code array<float>}, the default) or
     * {@link ActivationLayout#BINARY} (little-endian float32 bytes); recorded in the manifest.
     *
     * @param layout the layout
     * @return the changed copy
     */
    public ExtractOptions withLayout(ActivationLayout layout) {
        ExtractOptions o = copy();
        o.layout = Objects.requireNonNull(layout, "layout");
        return o;
    }

    /** @return the layer columns' layout */
    public ActivationLayout layout() {
        return layout;
    }

    /** @return the output directory or URI */
    public String output() {
        return output;
    }

    /** @return whether an existing output is replaced */
    public boolean overwrite() {
        return overwrite;
    }

    /** @return the id column, or {@code null} for row order */
    public String idColumn() {
        return idColumn;
    }

    /** @return texts per forward */
    public int batchSize() {
        return batchSize;
    }

    /** @return the maximum length, 0 for the model's context */
    public int maxLength() {
        return maxLength;
    }

    /** @return texts sorted together */
    public int sortWindow() {
        return sortWindow;
    }

    /** @return model threads per executor, 0 for its cores */
    public int threads() {
        return threads;
    }

    private static int positive(String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " is " + value + "; expected at least 1");
        }
        return value;
    }
}
