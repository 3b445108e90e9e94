package io.microw.tokenizer;

/** Where padding goes in a batch of texts of different lengths. */
public enum PaddingSide {
    /** Padding before the tokens, so every row ends at the last position (for generation). */
    LEFT,
    /** Padding after the tokens, so every row starts at position 0. */
    RIGHT
}
