package io.microw.hooks;

import ai.djl.ndarray.NDArray;

import java.util.Map;

/**
 * Keeps a float32 copy of a layer's output from the last forward (its input, for a PRE_FORWARD detector).
 * The copy belongs to the detector: it stays valid until the next forward, {@link #clearCaptured()} or
 * {@link #close()}.
 */
public class LayerActivationDetector extends BaseHook implements Detector, AutoCloseable {

    private final CapturedTensor captured = new CapturedTensor();

    /**
     * Captures the output of {@code layer} (name or alias).
     *
     * @param layer the layer's name or alias
     */
    public LayerActivationDetector(String layer) {
        this(layer, HookType.FORWARD);
    }

    /**
     * Captures the output (FORWARD), the first input (PRE_FORWARD) or the gradient at the output (BACKWARD, in
     * gradient calls) of {@code layer}.
     *
     * @param layer    the layer's name or alias
     * @param hookType FORWARD to capture the output, PRE_FORWARD the first input, BACKWARD the output's gradient
     */
    public LayerActivationDetector(String layer, HookType hookType) {
        super(hookType, layer);
    }

    @Override
    public void processActivations(HookCall call) {
        NDArray activations = call.activations();
        if (activations != null) {
            captured.capture(activations);
        }
    }

    /**
     * The last forward's activations [batch, seq, ...], or {@code null} before the first forward.
     *
     * @return the detector's own float32 CPU copy, or {@code null}
     */
    public NDArray getCaptured() {
        return captured.get();
    }

    /** The captured tensor under the name {@code activations}, as mi-crow stores it; empty before a forward. */
    @Override
    public Map<String, NDArray> tensorMetadata() {
        NDArray captured = getCaptured();
        return captured == null ? Map.of() : Map.of("activations", captured);
    }

    /** Frees the captured tensor. */
    public void clearCaptured() {
        captured.clear();
    }

    @Override
    public void close() {
        captured.close();
    }
}
