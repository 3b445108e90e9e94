package io.microw.nn.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.ArrayList;
import java.util.List;

/**
 * The lifetime of the tensors one module call makes: while the module runs its inputs are lent to a manager of its
 * own, so everything computed from them lands there; {@link #keep} moves the outputs to the enclosing manager, and
 * {@link #close} frees the rest and gives the inputs back. Only for modules that no hook observes, so no hook can
 * hold a tensor freed this way; a forward that frees its intermediates as it goes reuses the same memory (as eager
 * PyTorch does) instead of touching fresh pages for every tensor of the forward.
 */
final class ModuleScope implements AutoCloseable {

    private final NDManager local;
    private final NDManager outer;
    private final List<NDArray> lent = new ArrayList<>();

    /**
     * Opens a scope and lends it the inputs.
     *
     * @param outer  the manager the module's outputs move to
     * @param inputs the module's inputs, given back when the scope closes
     */
    ModuleScope(NDManager outer, NDList inputs) {
        this.outer = outer;
        this.local = outer.newSubManager();
        for (NDArray input : inputs) {
            if (input != null && !isLent(input)) {
                lent.add(input);
                input.tempAttach(local);
            }
        }
    }

    /**
     * The scope's manager: tensors computed from the inputs belong to it until {@link #keep} or {@link #close}.
     *
     * @return the manager
     */
    NDManager manager() {
        return local;
    }

    /**
     * Moves the outputs made in this scope to the enclosing manager (an output that is one of the inputs goes back
     * where it came from when the scope closes).
     *
     * @param outputs the module's outputs
     * @return {@code outputs}
     */
    NDList keep(NDList outputs) {
        for (NDArray output : outputs) {
            if (output != null && output.getManager() == local && !isLent(output)) {
                output.attach(outer);
            }
        }
        return outputs;
    }

    private boolean isLent(NDArray array) {
        for (NDArray a : lent) {
            if (a == array) {
                return true;
            }
        }
        return false;
    }

    /** Frees what the module made and did not output, and gives the inputs back to their managers. */
    @Override
    public void close() {
        local.close();
    }
}
