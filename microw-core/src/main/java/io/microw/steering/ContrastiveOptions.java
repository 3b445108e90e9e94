package io.microw.steering;

import java.util.Objects;

/**
 * How {@link SteeringVector#contrastive} reads activations: which tokens are averaged, how many texts run per
 * forward, and the longest tokenized text (longer ones are truncated). Immutable; each {@code with...} returns a
 * changed copy.
 */
public final class ContrastiveOptions {

    private static final ContrastiveOptions DEFAULTS = new ContrastiveOptions(TokenMode.ALL_TOKENS, 16, 0);

    private final TokenMode tokenMode;
    private final int batchSize;
    private final int maxLength;

    private ContrastiveOptions(TokenMode tokenMode, int batchSize, int maxLength) {
        this.tokenMode = tokenMode;
        this.batchSize = batchSize;
        this.maxLength = maxLength;
    }

    /** All real tokens, 16 texts per forward, the model's context as maximum length. */
    public static ContrastiveOptions defaults() {
        return DEFAULTS;
    }

    public TokenMode tokenMode() {
        return tokenMode;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Longest tokenized text; 0 means the model's context length. */
    public int maxLength() {
        return maxLength;
    }

    public ContrastiveOptions withTokenMode(TokenMode mode) {
        return new ContrastiveOptions(Objects.requireNonNull(mode, "tokenMode"), batchSize, maxLength);
    }

    public ContrastiveOptions withBatchSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + size);
        }
        return new ContrastiveOptions(tokenMode, size, maxLength);
    }

    public ContrastiveOptions withMaxLength(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0 (0 = the model's context), got " + length);
        }
        return new ContrastiveOptions(tokenMode, batchSize, length);
    }

    @Override
    public String toString() {
        return "ContrastiveOptions[tokenMode=" + tokenMode + ", batchSize=" + batchSize + ", maxLength=" + maxLength
                + "]";
    }
}
