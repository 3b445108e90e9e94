package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDList;

import java.util.List;

/** A container of numbered modules ({@code transformer.h}); like {@code torch.nn.ModuleList} it is never run. */
public final class ModuleList<M extends Module> extends Module {

    /**
     * A container of the given modules.
     *
     * @param name  the container's full Hugging Face name
     * @param items its children, in order
     */
    public ModuleList(String name, List<M> items) {
        super(name);
        items.forEach(this::add);
    }

    @Override
    public boolean isCallable() {
        return false;
    }

    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        throw new IllegalStateException(name() + " is a container and is never run");
    }
}
