package io.microw.hooks;

import java.util.Objects;
import java.util.UUID;

/** Id, hook type, layer signature and enabled flag: the state every hook shares. Extend it to write a hook. */
public abstract class BaseHook implements Hook {

    private final String id;
    private final HookType hookType;
    private final String layerSignature;
    private volatile boolean enabled = true;

    /**
     * A hook with a random id.
     *
     * @param hookType       whether the hook runs after (FORWARD) or before (PRE_FORWARD) its module, or in a
     *                       gradient call's backward pass (BACKWARD)
     * @param layerSignature the layer the hook is made for, or {@code null} for whatever layer it is registered on
     */
    protected BaseHook(HookType hookType, String layerSignature) {
        this(hookType, layerSignature, null);
    }

    /**
     * A hook with the given id ({@code null} for a random one).
     *
     * @param hookType       whether the hook runs after (FORWARD) or before (PRE_FORWARD) its module, or in a
     *                       gradient call's backward pass (BACKWARD)
     * @param layerSignature the layer the hook is made for, or {@code null} for whatever layer it is registered on
     * @param id             the hook's id; {@code null} for the class name followed by a random UUID
     */
    protected BaseHook(HookType hookType, String layerSignature, String id) {
        this.hookType = Objects.requireNonNull(hookType, "hookType");
        this.layerSignature = layerSignature;
        this.id = id != null ? id : getClass().getSimpleName() + "-" + UUID.randomUUID();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public HookType hookType() {
        return hookType;
    }

    @Override
    public String layerSignature() {
        return layerSignature;
    }

    @Override
    public boolean isEnabled() {
        return enabled;
    }

    @Override
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + id + " on " + layerSignature + "]";
    }
}
