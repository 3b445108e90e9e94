package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
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

    /**
     * A module with no children yet.
     *
     * @param name the full Hugging Face name ({@code ""} for the root)
     */
    protected Module(String name) {
        this.name = name;
    }

    /**
     * Full name, as Hugging Face's {@code named_modules()} gives it ({@code ""} for the root).
     *
     * @return the name
     */
    public final String name() {
        return name;
    }

    /**
     * The Hugging Face class name this module stands for, shown in layer listings.
     *
     * @return the class name
     */
    public String typeName() {
        return getClass().getSimpleName();
    }

    /**
     * Direct children in Hugging Face module order (hook points placed where they run).
     *
     * @return the children, unmodifiable
     */
    public final List<Module> children() {
        return Collections.unmodifiableList(children);
    }

    /**
     * Whether this module runs during a forward; a pure container (a module list) does not and cannot be hooked.
     *
     * @return true unless this is a pure container
     */
    public boolean isCallable() {
        return true;
    }

    /**
     * Adds a child and returns it; the child's name must extend this module's name.
     *
     * @param <M>   the child's type
     * @param child the child module
     * @return {@code child}
     */
    protected final <M extends Module> M add(M child) {
        children.add(child);
        return child;
    }

    /**
     * Name of a child of this module with the given local name.
     *
     * @param localName the child's name within this module, e.g. {@code attn}
     * @return {@code name.localName}, or {@code localName} for the root
     */
    protected final String child(String localName) {
        return name.isEmpty() ? localName : name + "." + localName;
    }

    /**
     * This module and all its descendants, depth first, in module order.
     *
     * @return the modules, this one first
     */
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

    /**
     * Runs this module with hooks.
     *
     * @param ctx    the forward
     * @param inputs the module's inputs
     * @return its outputs, after the hooks
     */
    public final NDList call(ForwardContext ctx, NDList inputs) {
        return ctx.run(this, inputs);
    }

    /**
     * Runs a single-input module with hooks and returns its main output.
     *
     * @param ctx   the forward
     * @param input the module's input
     * @return its first output, after the hooks
     */
    public final NDArray call(ForwardContext ctx, NDArray input) {
        return ctx.run(this, new NDList(input)).head();
    }

    /**
     * The computation itself, without hooks.
     *
     * @param ctx    the forward
     * @param inputs the module's inputs
     * @return its outputs
     */
    protected abstract NDList forward(ForwardContext ctx, NDList inputs);

    /**
     * The computation without hooks, for the forward machinery ({@link ForwardContext}, in a package the module
     * does not export); everything else goes through {@link #call}.
     *
     * @param ctx    the forward
     * @param inputs the module's inputs
     * @return its outputs
     */
    public final NDList runForward(ForwardContext ctx, NDList inputs) {
        return forward(ctx, inputs);
    }

    @Override
    public String toString() {
        return typeName() + "(" + name + ")";
    }
}
