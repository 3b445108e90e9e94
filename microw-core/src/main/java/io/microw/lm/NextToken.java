package io.microw.lm;

import io.microw.util.TopK;

import java.util.ArrayList;
import java.util.List;

/**
 * One candidate for the next token: its id, its logit and its softmax probability over the whole vocabulary.
 *
 * @param id          token id
 * @param logit       the model's logit for it
 * @param probability {@code softmax(logits)[id]}, computed stably in double precision
 */
public record NextToken(int id, float logit, double probability) {

    /**
     * The {@code k} most likely next tokens for one position's logits, most likely first.
     *
     * @param logits the logits over the vocabulary at one position
     * @param k      how many candidates
     * @return the candidates with their probabilities
     */
    public static List<NextToken> top(float[] logits, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        List<NextToken> out = new ArrayList<>(k);
        for (int id : TopK.indices(logits, k)) {
            out.add(new NextToken(id, logits[id], Math.exp(logits[id] - max) / sum));
        }
        return out;
    }
}
