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

    /**
     * Wraps an already padded batch; the arrays are kept as given, not copied.
     *
     * @param texts             the input texts, one per row
     * @param inputIds          [batch][seq] token ids, padded
     * @param attentionMask     [batch][seq] 1 for real tokens, 0 for padding
     * @param specialTokensMask [batch][seq] 1 for special tokens and padding, 0 for text tokens
     * @param tokens            [batch][seq] token strings
     * @param paddingSide       the side the rows were padded on
     */
    public Encodings(List<String> texts, long[][] inputIds, long[][] attentionMask, long[][] specialTokensMask,
                     String[][] tokens, PaddingSide paddingSide) {
        this.texts = List.copyOf(texts);
        this.inputIds = inputIds;
        this.attentionMask = attentionMask;
        this.specialTokensMask = specialTokensMask;
        this.tokens = tokens;
        this.paddingSide = paddingSide;
    }

    /**
     * The input texts.
     *
     * @return the texts, one per row, in order
     */
    public List<String> texts() {
        return texts;
    }

    /**
     * [batch][seq] token ids, padded.
     *
     * @return the token ids
     */
    public long[][] inputIds() {
        return inputIds;
    }

    /**
     * [batch][seq] 1 for real tokens, 0 for padding.
     *
     * @return the attention mask
     */
    public long[][] attentionMask() {
        return attentionMask;
    }

    /**
     * [batch][seq] 1 for special tokens (BOS, EOS, ...) and padding, 0 for text tokens.
     *
     * @return the special-tokens mask
     */
    public long[][] specialTokensMask() {
        return specialTokensMask;
    }

    /**
     * [batch][seq] the tokenizer's token strings (padding shown as the pad token).
     *
     * @return the token strings
     */
    public String[][] tokens() {
        return tokens;
    }

    /**
     * The side the rows were padded on.
     *
     * @return the padding side
     */
    public PaddingSide paddingSide() {
        return paddingSide;
    }

    /**
     * The number of rows.
     *
     * @return the batch size
     */
    public int batchSize() {
        return inputIds.length;
    }

    /**
     * The padded length shared by all rows.
     *
     * @return the sequence length, 0 for an empty batch
     */
    public int seqLength() {
        return inputIds.length == 0 ? 0 : inputIds[0].length;
    }
}
