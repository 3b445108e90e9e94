package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.tokenizer.Encodings;

/**
 * What a run with {@link Interventions} returned: the logits and the {@link ActivationCache} of what it captured
 * (empty when it captured nothing). It owns both: closing it frees the logits and the cache.
 */
public final class RunResult implements AutoCloseable {

    private final InferenceResult result;
    private final ActivationCache cache;

    RunResult(InferenceResult result, ActivationCache cache) {
        this.result = result;
        this.cache = cache;
    }

    /**
     * Logits [batch, seq, vocab], in the model's dtype (float32 unless it was loaded otherwise).
     *
     * @return the logits, owned by this result
     */
    public NDArray logits() {
        return result.logits();
    }

    /**
     * The activations the run captured.
     *
     * @return the cache, owned by this result
     */
    public ActivationCache cache() {
        return cache;
    }

    /**
     * The tokenized texts, or {@code null} when the run was given token ids.
     *
     * @return the encodings, or {@code null}
     */
    public Encodings encodings() {
        return result.encodings();
    }

    /** Frees the logits and every tensor the forward left with them (a recorded forward's), keeping the cache. */
    void releaseForward() {
        result.close();
    }

    /** Frees the logits and the cache. */
    @Override
    public void close() {
        try {
            cache.close();
        } finally {
            result.close();
        }
    }
}
