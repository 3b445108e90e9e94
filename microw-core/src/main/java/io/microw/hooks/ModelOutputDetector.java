package io.microw.hooks;

import ai.djl.ndarray.NDArray;

/**
 * Keeps a float32 copy of the whole model's output (logits [batch, seq, vocab]) from the last forward: a
 * {@link LayerActivationDetector} on the root layer.
 */
public class ModelOutputDetector extends LayerActivationDetector {

    /** A detector on the whole model (layer {@code root}). */
    public ModelOutputDetector() {
        super("root");
    }

    /**
     * The last forward's logits, or {@code null} before the first forward.
     *
     * @return the logits [batch, seq, vocab], or {@code null}
     */
    public NDArray getCapturedOutput() {
        return getCaptured();
    }
}
