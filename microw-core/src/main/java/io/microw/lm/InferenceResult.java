package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.microw.tokenizer.Encodings;

import java.util.Optional;

/**
 * What a forward returned: logits [batch, seq, vocab] (in the model's dtype), or the output of the layer it stopped
 * after, and the encodings of its texts. It owns its tensors: close it (try-with-resources) to free them.
 */
public final class InferenceResult implements AutoCloseable {

    private final NDManager manager;
    private final NDArray output;
    private final Encodings encodings;
    private final String stoppedAfter;

    InferenceResult(NDManager manager, NDArray output, Encodings encodings, String stoppedAfter) {
        this.manager = manager;
        this.output = output;
        this.encodings = encodings;
        this.stoppedAfter = stoppedAfter;
    }

    /**
     * Logits [batch, seq, vocab]; an error if the forward stopped early (use {@link #output()}).
     *
     * @return the logits, owned by this result
     */
    public NDArray logits() {
        if (stoppedAfter != null) {
            throw new IllegalStateException("the forward stopped after layer '" + stoppedAfter
                    + "', so there are no logits; use output() for that layer's output");
        }
        return output;
    }

    /**
     * The model's output: logits, or the stop layer's output when {@link #stoppedAfter()} is set.
     *
     * @return the output, owned by this result
     */
    public NDArray output() {
        return output;
    }

    /**
     * The tokenized texts, or {@code null} when the forward was given token ids.
     *
     * @return the encodings, or {@code null}
     */
    public Encodings encodings() {
        return encodings;
    }

    /**
     * The layer the forward stopped after, if it stopped early.
     *
     * @return the stop layer's canonical name, or empty after a full forward
     */
    public Optional<String> stoppedAfter() {
        return Optional.ofNullable(stoppedAfter);
    }

    @Override
    public void close() {
        manager.close();
    }
}
