package io.microw.steering;

/** Which tokens of each text a contrastive steering vector averages. Padding is never counted. */
public enum TokenMode {
    /** Every real token of every text (special tokens the tokenizer adds, such as BOS, excluded). */
    ALL_TOKENS,
    /** Only the last real token of each text: one row per text. */
    LAST_TOKEN
}
