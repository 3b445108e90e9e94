package io.microw.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.SparseFormat;

/** Looks up rows of a [vocab, dim] table for int64 ids, as {@code torch.nn.Embedding}. */
public final class Embedding extends Module {

    private final NDArray table;

    public Embedding(String name, NDArray table) {
        super(name);
        this.table = table;
    }

    /** The [rows, dim] table (shared with a tied output head). */
    public NDArray table() {
        return table;
    }

    public long rows() {
        return table.getShape().get(0);
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        return ai.djl.nn.core.Embedding.embedding(inputs.head(), table, SparseFormat.DENSE);
    }
}
