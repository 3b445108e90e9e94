package io.microw.tokenizer;

import java.util.List;

/**
 * A tokenized, padded batch: ids, attention mask (1 real, 0 padding), a mask of special tokens and padding,
 * and the token strings, row by row, exactly as the model saw them.
 */
public final class Encodings {

    private final List<String> texts;
    private final long[][] inputIds;
    private final long[][] attentionMask;
    private final long[][] specialTokensMask;
    private final String[][] tokens;
    private final PaddingSide paddingSide;

    public Encodings(List<String> texts, long[][] inputIds, long[][] attentionMask, long[][] specialTokensMask,
                     String[][] tokens, PaddingSide paddingSide) {
        this.texts = List.copyOf(texts);
        this.inputIds = inputIds;
        this.attentionMask = attentionMask;
        this.specialTokensMask = specialTokensMask;
        this.tokens = tokens;
        this.paddingSide = paddingSide;
    }

    public List<String> texts() {
        return texts;
    }

    /** [batch][seq] token ids, padded. */
    public long[][] inputIds() {
        return inputIds;
    }

    /** [batch][seq] 1 for real tokens, 0 for padding. */
    public long[][] attentionMask() {
        return attentionMask;
    }

    /** [batch][seq] 1 for special tokens (BOS, EOS, ...) and padding, 0 for text tokens. */
    public long[][] specialTokensMask() {
        return specialTokensMask;
    }

    /** [batch][seq] the tokenizer's token strings (padding shown as the pad token). */
    public String[][] tokens() {
        return tokens;
    }

    public PaddingSide paddingSide() {
        return paddingSide;
    }

    public int batchSize() {
        return inputIds.length;
    }

    public int seqLength() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }
}
