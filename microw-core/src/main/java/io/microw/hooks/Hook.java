package io.microw.hooks;

import java.util.Optional;

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

    /**
     * The {@code prepend_bos} the values at this hook's layer must be computed with, if it needs one (an attached
     * SAE asks for the setting it was trained with): while the hook is registered and enabled, texts the model
     * tokenizes follow it unless the model or the call sets {@code prepend_bos} itself. Default: no need.
     *
     * @return true for a BOS token first in every text, false for none, empty for no need
     */
    default Optional<Boolean> prependBos() {
        return Optional.empty();
    }
}
