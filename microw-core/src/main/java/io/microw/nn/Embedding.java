package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.SparseFormat;

/** Looks up rows of a [vocab, dim] table for int64 ids, as {@code torch.nn.Embedding}. */
public final class Embedding extends Module {

    private final NDArray table;

    /**
     * An embedding over the given table.
     *
     * @param name  the module's full Hugging Face name
     * @param table [rows, dim]
     */
    public Embedding(String name, NDArray table) {
        super(name);
        this.table = table;
    }

    /**
     * The [rows, dim] table (shared with a tied output head).
     *
     * @return the table
     */
    public NDArray table() {
        return table;
    }

    /**
     * Number of rows of the table (the vocabulary size for token embeddings).
     *
     * @return the row count
     */
    public long rows() {
        return table.getShape().get(0);
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        return ai.djl.nn.core.Embedding.embedding(inputs.head(), table, SparseFormat.DENSE);
    }
}
