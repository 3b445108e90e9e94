package io.microw.lm;

import io.microw.tokenizer.PaddingSide;

import java.util.Optional;

/**
 * Options of one inference call: padding side, maximum length and truncation, whether controllers (or any hook)
 * run, a layer after which to stop, and whether texts get a BOS token first. Immutable; each {@code with...}
 * returns a changed copy.
 */
public final class InferenceOptions {

    private static final InferenceOptions DEFAULTS = new InferenceOptions(PaddingSide.RIGHT, 0, true, true, null, true,
            null);

    private final PaddingSide paddingSide;
    private final int maxLength;
    private final boolean truncation;
    private final boolean withControllers;
    private final String stopAfterLayer;
    private final boolean withHooks;
    private final Boolean prependBos;

    private InferenceOptions(PaddingSide paddingSide, int maxLength, boolean truncation, boolean withControllers,
                             String stopAfterLayer, boolean withHooks, Boolean prependBos) {
        this.paddingSide = paddingSide;
        this.maxLength = maxLength;
        this.truncation = truncation;
        this.withControllers = withControllers;
        this.stopAfterLayer = stopAfterLayer;
        this.withHooks = withHooks;
        this.prependBos = prependBos;
    }

    /**
     * Right padding, the model's context as maximum length, truncation on, controllers on, no early stop.
     *
     * @return the default options
     */
    public static InferenceOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The side texts are padded on (default right).
     *
     * @return the padding side
     */
    public PaddingSide paddingSide() {
        return paddingSide;
    }

    /**
     * Longest tokenized text; 0 means the model's context length.
     *
     * @return the maximum length, or 0
     */
    public int maxLength() {
        return maxLength;
    }

    /**
     * Whether texts longer than the maximum length are truncated (default true) instead of rejected.
     *
     * @return true to truncate
     */
    public boolean truncation() {
        return truncation;
    }

    /**
     * Whether registered controllers run (default true); detectors run either way.
     *
     * @return true when controllers run
     */
    public boolean withControllers() {
        return withControllers;
    }

    /**
     * Layer (name or alias) after which the forward stops, or {@code null}.
     *
     * @return the layer, or {@code null} for a full forward
     */
    public String stopAfterLayer() {
        return stopAfterLayer;
    }

    /**
     * These options with another padding side.
     *
     * @param side the side texts are padded on
     * @return the changed copy
     */
    public InferenceOptions withPaddingSide(PaddingSide side) {
        return new InferenceOptions(side, maxLength, truncation, withControllers, stopAfterLayer, withHooks,
                prependBos);
    }

    /**
     * These options with another maximum length.
     *
     * @param length the longest tokenized text, 0 for the model's context length
     * @return the changed copy
     */
    public InferenceOptions withMaxLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0 (0 = model context), got " + length);
        }
        return new InferenceOptions(paddingSide, length, truncation, withControllers, stopAfterLayer, withHooks,
                prependBos);
    }

    /**
     * These options with truncation on or off.
     *
     * @param on whether longer texts are truncated instead of rejected
     * @return the changed copy
     */
    public InferenceOptions withTruncation(boolean on) {
        return new InferenceOptions(paddingSide, maxLength, on, withControllers, stopAfterLayer, withHooks, prependBos);
    }

    /**
     * These options with controllers on or off.
     *
     * @param on whether registered controllers run
     * @return the changed copy
     */
    public InferenceOptions withControllers(boolean on) {
        return new InferenceOptions(paddingSide, maxLength, truncation, on, stopAfterLayer, withHooks, prependBos);
    }

    /**
     * These options with a layer after which the forward stops.
     *
     * @param layer a layer name or alias, or {@code null} for a full forward
     * @return the changed copy
     */
    public InferenceOptions withStopAfterLayer(String layer) {
        return new InferenceOptions(paddingSide, maxLength, truncation, withControllers, layer, withHooks, prependBos);
    }

    /**
     * Whether registered hooks run at all (default true); off, the forward neither records nor edits anything.
     *
     * @return true when hooks run
     */
    public boolean withHooks() {
        return withHooks;
    }

    /**
     * With {@code false}, no registered hook runs (detectors see nothing, controllers change nothing).
     *
     * @param on whether registered hooks run
     * @return the changed copy
     */
    public InferenceOptions withHooks(boolean on) {
        return new InferenceOptions(paddingSide, maxLength, truncation, withControllers, stopAfterLayer, on,
                prependBos);
    }

    /**
     * Whether this call's texts get a BOS token first, when set for the call.
     *
     * @return the setting, or empty (the default) to follow the model's ({@link InferenceEngine#prependBos})
     */
    public Optional<Boolean> prependBos() {
        return Optional.ofNullable(prependBos);
    }

    /**
     * These options with TransformerLens' {@code prepend_bos} for this call's texts: true puts the BOS token first
     * in every row (once), false leaves it out; overrides the model's {@link LoadOptions#withPrependBos} and an
     * attached SAE's {@code prepend_bos}. Token-id calls ({@code forward}) ignore it.
     *
     * @param value whether every text starts with the BOS token
     * @return the changed copy
     */
    public InferenceOptions withPrependBos(boolean value) {
        return new InferenceOptions(paddingSide, maxLength, truncation, withControllers, stopAfterLayer, withHooks,
                value);
    }
}
