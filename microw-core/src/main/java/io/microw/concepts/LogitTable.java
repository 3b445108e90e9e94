package io.microw.concepts;

/**
 * The tokens a direction promotes and suppresses most: the {@code k} largest logit changes, largest first, and the
 * {@code k} smallest, smallest first (ties: the lower token id first).
 *
 * @param topIds       token ids of the largest values
 * @param topValues    the largest values
 * @param bottomIds    token ids of the smallest values
 * @param bottomValues the smallest values
 */
record LogitTable(int[] topIds, float[] topValues, int[] bottomIds, float[] bottomValues) {

    /** The table of {@code min(k, logits.length)} rows each way. */
    static LogitTable of(float[] logits, int k) {
        int[] top = extremes(logits, k, true);
        int[] bottom = extremes(logits, k, false);
        return new LogitTable(top, values(logits, top), bottom, values(logits, bottom));
    }

    private static int[] extremes(float[] v, int k, boolean largest) {
        int n = Math.min(k, v.length);
        int[] ids = new int[n];
        boolean[] taken = new boolean[v.length];
        for (int r = 0; r < n; r++) {
            int best = -1;
            for (int i = 0; i < v.length; i++) {
                if (!taken[i] && (best < 0 || (largest ? v[i] > v[best] : v[i] < v[best]))) {
                    best = i;
                }
            }
            taken[best] = true;
            ids[r] = best;
        }
        return ids;
    }

    private static float[] values(float[] v, int[] ids) {
        float[] out = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = v[ids[i]];
        }
        return out;
    }
}
