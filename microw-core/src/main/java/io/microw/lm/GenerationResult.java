package io.microw.lm;

import java.util.List;

/**
 * Generated sequences: per prompt, the prompt's tokens (without padding) followed by the new tokens, and the
 * decoded texts when the model has a tokenizer.
 */
public final class GenerationResult {

    private final long[][] sequences;
    private final int[] promptLengths;
    private final List<String> texts;
    private final List<String> completions;

    GenerationResult(long[][] sequences, int[] promptLengths, List<String> texts, List<String> completions) {
        this.sequences = sequences;
        this.promptLengths = promptLengths;
        this.texts = texts;
        this.completions = completions;
    }

    /**
     * Per row: prompt tokens then new tokens.
     *
     * @return the token ids
     */
    public long[][] sequences() {
        return sequences;
    }

    /**
     * Per row: only the new tokens.
     *
     * @param row the row index
     * @return a copy of the row's generated tokens
     */
    public long[] newTokens(int row) {
        return java.util.Arrays.copyOfRange(sequences[row], promptLengths[row], sequences[row].length);
    }

    /**
     * Decoded prompt plus completion per row; empty without a tokenizer.
     *
     * @return the texts
     */
    public List<String> texts() {
        return texts;
    }

    /**
     * Decoded new tokens per row; empty without a tokenizer.
     *
     * @return the completions
     */
    public List<String> completions() {
        return completions;
    }
}
