package io.microw.lm;

import io.microw.tokenizer.PaddingSide;

/**
 * Options of one inference call: padding side, maximum length and truncation, whether controllers (or any hook)
 * run, and a layer after which to stop. Immutable; each {@code with...} returns a changed copy.
 */
public final class InferenceOptions {

    private static final InferenceOptions DEFAULTS = new InferenceOptions(PaddingSide.RIGHT, 0, true, true, null, true);

    private final PaddingSide paddingSide;
    private final int maxLength;
    private final boolean truncation;
    private final boolean withControllers;
    private final String stopAfterLayer;
    private final boolean withHooks;

    private InferenceOptions(PaddingSide paddingSide, int maxLength, boolean truncation, boolean withControllers,
                             String stopAfterLayer, boolean withHooks) {
        this.paddingSide = paddingSide;
        this.maxLength = maxLength;
        this.truncation = truncation;
        this.withControllers = withControllers;
        this.stopAfterLayer = stopAfterLayer;
        this.withHooks = withHooks;
    }

    /** Right padding, the model's context as maximum length, truncation on, controllers on, no early stop. */
    public static InferenceOptions defaults() {
        return DEFAULTS;
    }

    public PaddingSide paddingSide() {
        return paddingSide;
    }

    /** Longest tokenized text; 0 means the model's context length. */
    public int maxLength() {
        return maxLength;
    }

    public boolean truncation() {
        return truncation;
    }

    public boolean withControllers() {
        return withControllers;
    }

    /** Layer (name or alias) after which the forward stops, or {@code null}. */
    public String stopAfterLayer() {
        return stopAfterLayer;
    }

    public InferenceOptions withPaddingSide(PaddingSide side) {
        return new InferenceOptions(side, maxLength, truncation, withControllers, stopAfterLayer, withHooks);
    }

    public InferenceOptions withMaxLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0 (0 = model context), got " + length);
        }
        return new InferenceOptions(paddingSide, length, truncation, withControllers, stopAfterLayer, withHooks);
    }

    public InferenceOptions withTruncation(boolean on) {
        return new InferenceOptions(paddingSide, maxLength, on, withControllers, stopAfterLayer, withHooks);
    }

    public InferenceOptions withControllers(boolean on) {
        return new InferenceOptions(paddingSide, maxLength, truncation, on, stopAfterLayer, withHooks);
    }

    public InferenceOptions withStopAfterLayer(String layer) {
        return new InferenceOptions(paddingSide, maxLength, truncation, withControllers, layer, withHooks);
    }

    /** Whether registered hooks run at all (default true); off, the forward neither records nor edits anything. */
    public boolean withHooks() {
        return withHooks;
    }

    /** With {@code false}, no registered hook runs (detectors see nothing, controllers change nothing). */
    public InferenceOptions withHooks(boolean on) {
        return new InferenceOptions(paddingSide, maxLength, truncation, withControllers, stopAfterLayer, on);
    }
}
