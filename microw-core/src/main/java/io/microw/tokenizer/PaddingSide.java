package io.microw.tokenizer;

/** Where padding goes in a batch of texts of different lengths. */
public enum PaddingSide {
    LEFT,
    RIGHT
}
