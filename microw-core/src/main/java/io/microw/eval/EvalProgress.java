package io.microw.eval;

/**
 * Where an SAE evaluation stands after a batch: batches and texts done, tokens measured so far, and the total
 * number of texts when known ({@code -1} otherwise).
 *
 * @param batches    batches finished
 * @param texts      texts finished
 * @param tokens     tokens counted in the reconstruction metrics so far (real, non-excluded tokens)
 * @param totalTexts texts to evaluate in all, or -1 when the source does not know its length
 */
public record EvalProgress(int batches, long texts, long tokens, long totalTexts) {

    /**
     * Fraction of texts done, or NaN when the total is unknown.
     *
     * @return the fraction in [0, 1], or NaN
     */
    public double fraction() {
        return totalTexts <= 0 ? Double.NaN : (double) texts / totalTexts;
    }
}
