package io.microw.concepts;

/** What an SAE attached to a layer does to the layer's output. */
public enum SaeMode {
    /** Record latents only; the model's output is untouched. */
    OBSERVE,
    /** Replace the layer output with the SAE's reconstruction of the (edited) latents, as mi-crow does. */
    REPLACE,
    /**
     * Add only the edit: {@code x + decode(edited) − decode(latents)}, so the SAE's reconstruction error is kept and
     * nothing changes without a manipulation.
     */
    STEER
}
