package io.microw.lm;

import java.util.BitSet;
import java.util.List;

/**
 * Hugging Face's repetition penalty: the logit of each token already in the row (prompt or generated) is divided by
 * the penalty when positive and multiplied by it when negative, once per distinct token.
 */
final class RepetitionPenalty {

    private RepetitionPenalty() {
    }

    /** Applies the penalty to {@code logits} in place; a penalty of 1 leaves them unchanged. */
    static void apply(float[] logits, long[] prompt, List<Long> generated, double penalty) {
        if (penalty == 1.0) {
            return;
        }
        BitSet seen = new BitSet(logits.length);
        for (long id : prompt) {
            seen.set((int) id);
        }
        for (long id : generated) {
            seen.set((int) id);
        }
        for (int id = seen.nextSetBit(0); id >= 0 && id < logits.length; id = seen.nextSetBit(id + 1)) {
            float v = logits[id];
            logits[id] = (float) (v < 0 ? v * penalty : v / penalty);
        }
    }
}
