package io.microw.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A named node of a model, named after its Hugging Face module path ({@code transformer.h.0.attn.c_attn}).
 * Running a module through {@link #call} lets the registered hooks see and change its inputs and output;
 * subclasses implement {@link #forward}.
 */
public abstract class Module {

    private final String name;
    private final List<Module> children = new ArrayList<>();

    protected Module(String name) {
        this.name = name;
    }

    /** Full name, as Hugging Face's {@code named_modules()} gives it ({@code ""} for the root). */
    public final String name() {
        return name;
    }

    /** The Hugging Face class name this module stands for, shown in layer listings. */
    public String typeName() {
        return getClass().getSimpleName();
    }

    /** Direct children in Hugging Face module order (hook points placed where they run). */
    public final List<Module> children() {
        return Collections.unmodifiableList(children);
    }

    /** Whether this module runs during a forward; a pure container (a module list) does not and cannot be hooked. */
    public boolean isCallable() {
        return true;
    }

    /** Adds a child and returns it; the child's name must extend this module's name. */
    protected final <M extends Module> M add(M child) {
        children.add(child);
        return child;
    }

    /** Name of a child of this module with the given local name. */
    protected final String child(String localName) {
        return name.isEmpty() ? localName : name + "." + localName;
    }

    /** This module and all its descendants, depth first, in module order. */
    public final List<Module> modules() {
        List<Module> out = new ArrayList<>();
        collect(out);
        return out;
    }

    private void collect(List<Module> out) {
        out.add(this);
        for (Module child : children) {
            child.collect(out);
        }
    }

    /** Runs this module with hooks. */
    public final NDList call(ForwardContext ctx, NDList inputs) {
        return ctx.run(this, inputs);
    }

    /** Runs a single-input module with hooks and returns its main output. */
    public final NDArray call(ForwardContext ctx, NDArray input) {
        return ctx.run(this, new NDList(input)).head();
    }

    /** The computation itself, without hooks. */
    protected abstract NDList forward(ForwardContext ctx, NDList inputs);

    /** Package access for {@link ForwardContext}. */
    final NDList runForward(ForwardContext ctx, NDList inputs) {
        return forward(ctx, inputs);
    }

    @Override
    public String toString() {
        return typeName() + "(" + name + ")";
    }
}
