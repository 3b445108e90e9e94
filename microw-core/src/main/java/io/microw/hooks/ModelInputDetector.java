package io.microw.hooks;

import io.microw.nn.ForwardBatch;

/**
 * Keeps the last forward's input ids, attention mask and a mask that is true only for real, non-special
 * tokens (padding, BOS, EOS and other special tokens are false), as heap arrays.
 */
public class ModelInputDetector extends BaseHook implements Detector {

    private long[][] inputIds;
    private long[][] attentionMask;
    private boolean[][] realTokenMask;

    /** A detector on the whole model's input (layer {@code root}). */
    public ModelInputDetector() {
        super(HookType.PRE_FORWARD, "root");
    }

    @Override
    public synchronized void processActivations(HookCall call) {
        ForwardBatch batch = call.batch();
        int rows = batch.batchSize();
        int seq = batch.seqLength();
        long[] ids = batch.inputIds().toLongArray();
        long[] mask = batch.attentionMask().toLongArray();
        int past = batch.pastLength();
        long[][] special = batch.specialTokensMask();
        inputIds = new long[rows][seq];
        attentionMask = new long[rows][seq];
        realTokenMask = new boolean[rows][seq];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < seq; j++) {
                inputIds[i][j] = ids[i * seq + j];
                attentionMask[i][j] = mask[i * (past + seq) + past + j];
                boolean isSpecial = special != null && special[i][j] != 0;
                realTokenMask[i][j] = attentionMask[i][j] != 0 && !isSpecial;
            }
        }
    }

    /**
     * The last forward's input ids, [batch][seq].
     *
     * @return the ids, or {@code null} before the first forward
     */
    public synchronized long[][] inputIds() {
        return inputIds;
    }

    /**
     * The last forward's attention mask over the new tokens, [batch][seq] (1 real, 0 padding).
     *
     * @return the mask, or {@code null} before the first forward
     */
    public synchronized long[][] attentionMask() {
        return attentionMask;
    }

    /**
     * True where the token is real text: not padding, not a special token.
     *
     * @return the mask [batch][seq], or {@code null} before the first forward
     */
    public synchronized boolean[][] realTokenMask() {
        return realTokenMask;
    }
}
