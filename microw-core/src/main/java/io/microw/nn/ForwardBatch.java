package io.microw.nn;

import ai.djl.ndarray.NDArray;

import java.util.List;

/**
 * What one forward pass runs on: token ids, attention mask, position ids and, when known, the texts and
 * which tokens the tokenizer added (special tokens). During generation {@code inputIds} holds only the step's new tokens while
 * {@code attentionMask} covers the cached tokens too ({@link #pastLength()} of them).
 *
 * @param inputIds      int64 [batch, seq] ids of the tokens computed in this forward
 * @param attentionMask int64 [batch, past + seq], 1 for real tokens, 0 for padding
 * @param positionIds   int64 [batch, seq] positions of the tokens computed in this forward
 * @param texts         the batch's texts, or an empty list when the forward was given ids
 * @param specialTokensMask [batch][seq], 1 where the tokenizer added a special token, or {@code null} when the
 *                      forward was given ids
 * @param batchIndex    running number of this forward for the model (0, 1, 2, ...)
 * @param generationStep the decoding step during generation (0 is the prompt), or -1 outside generation
 */
public record ForwardBatch(NDArray inputIds, NDArray attentionMask, NDArray positionIds, List<String> texts,
                           long[][] specialTokensMask, long batchIndex, int generationStep) {

    /**
     * Number of rows.
     *
     * @return the batch size
     */
    public int batchSize() {
        return (int) inputIds.getShape().get(0);
    }

    /**
     * Number of tokens per row computed in this forward.
     *
     * @return the sequence length of {@code inputIds}
     */
    public int seqLength() {
        return (int) inputIds.getShape().get(1);
    }

    /**
     * Tokens already in the KV cache before this forward (0 outside generation).
     *
     * @return the attention mask's length minus {@link #seqLength()}
     */
    public int pastLength() {
        return (int) attentionMask.getShape().get(1) - seqLength();
    }
}
