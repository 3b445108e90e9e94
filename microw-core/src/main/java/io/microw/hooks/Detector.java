package io.microw.hooks;

import ai.djl.ndarray.NDArray;

import java.util.Map;

/**
 * A hook that observes activations without changing them. The tensors in a {@link HookCall} live only for
 * that forward: a detector that keeps data copies it into its own manager or onto the heap, and bounds what it
 * keeps. A detector must not modify the tensors it is shown.
 */
public interface Detector extends Hook {

    /**
     * Called once per forward of the hooked layer.
     *
     * @param call the invocation, whose tensors live only until the forward ends
     */
    void processActivations(HookCall call);

    /**
     * Tensors this detector kept from the last forward that activation saving stores with each batch
     * (mi-crow's {@code tensor_metadata}), by name; default none. The arrays stay the detector's.
     *
     * @return the kept tensors by name, empty by default
     */
    default Map<String, NDArray> tensorMetadata() {
        return Map.of();
    }
}
