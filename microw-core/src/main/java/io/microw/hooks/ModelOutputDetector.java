package io.microw.hooks;

import ai.djl.ndarray.NDArray;

/** Keeps a float32 copy of the model's output (logits [batch, seq, vocab]) from the last forward. */
public class ModelOutputDetector extends BaseHook implements Detector, AutoCloseable {

    private final CapturedTensor captured = new CapturedTensor();

    /** A detector on the whole model (layer {@code root}). */
    public ModelOutputDetector() {
        super(HookType.FORWARD, "root");
    }

    @Override
    public void processActivations(HookCall call) {
        NDArray output = call.output();
        if (output != null) {
            captured.capture(output);
        }
    }

    /** The last forward's logits, or {@code null}. */
    public NDArray getCapturedOutput() {
        return captured.get();
    }

    public void clearCaptured() {
        captured.clear();
    }

    @Override
    public void close() {
        captured.close();
    }
}
