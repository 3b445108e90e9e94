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

    /**
     * All real tokens, 16 texts per forward, the model's context as maximum length.
     *
     * @return the default options
     */
    public static ContrastiveOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Which tokens of each text are averaged (default {@link TokenMode#ALL_TOKENS}).
     *
     * @return the token mode
     */
    public TokenMode tokenMode() {
        return tokenMode;
    }

    /**
     * Texts per forward (default 16).
     *
     * @return the batch size
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Longest tokenized text; 0 means the model's context length.
     *
     * @return the maximum length, 0 for the model's context
     */
    public int maxLength() {
        return maxLength;
    }

    /**
     * A copy that averages the tokens {@code mode} chooses.
     *
     * @param mode all real tokens, or only each text's last one
     * @return the changed copy
     */
    public ContrastiveOptions withTokenMode(TokenMode mode) {
        return new ContrastiveOptions(Objects.requireNonNull(mode, "tokenMode"), batchSize, maxLength);
    }

    /**
     * A copy that runs {@code size} texts per forward.
     *
     * @param size texts per forward, at least 1
     * @return the changed copy
     */
    public ContrastiveOptions withBatchSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + size);
        }
        return new ContrastiveOptions(tokenMode, size, maxLength);
    }

    /**
     * A copy that truncates texts to {@code length} tokens.
     *
     * @param length the maximum length, 0 for the model's context
     * @return the changed copy
     */
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
