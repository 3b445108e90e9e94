package io.microw.hooks;

/**
 * Something that runs at a named layer during a forward pass. A hook is a {@link Detector} (observes), a
 * {@link Controller} (changes activations), or both. Register one with
 * {@code lm.layers().registerHook(layer, hook)}; the registry refuses duplicate ids.
 */
public interface Hook {

    /**
     * Unique id of this hook; {@code registerHook} returns it.
     *
     * @return the id
     */
    String id();

    /**
     * Whether the hook runs after or before its module.
     *
     * @return FORWARD (after the module) or PRE_FORWARD (before it)
     */
    HookType hookType();

    /**
     * The layer this hook was made for, or {@code null} if it takes whatever layer it is registered on.
     *
     * @return the layer name, or {@code null}
     */
    String layerSignature();

    /**
     * A disabled hook stays registered but does not run.
     *
     * @return whether the hook runs
     */
    boolean isEnabled();

    /**
     * Enables or disables the hook; a disabled hook stays registered but does not run.
     *
     * @param enabled whether the hook runs
     */
    void setEnabled(boolean enabled);

    /**
     * Called by the registry after the hook was registered on {@code layer} (canonical name); default: nothing.
     *
     * @param layer the canonical name of the layer it was registered on
     */
    default void onRegistered(String layer) {
    }

    /** Called by the registry after the hook was removed; default: nothing. */
    default void onUnregistered() {
    }
}
