package io.microw.util;

/** The positions of the largest values of an array, without sorting all of it. */
public final class TopK {

    private TopK() {
    }

    /**
     * Indices of the {@code k} largest values, largest first (ties keep the lower index first).
     *
     * @param values the values
     * @param k      how many to return (at most {@code values.length})
     * @return the indices, largest value first
     */
    public static int[] indices(float[] values, int k) {
        k = Math.max(0, Math.min(k, values.length));
        int[] best = new int[k];
        if (k == 0) {
            return best;
        }
        int n = 0;
        for (int i = 0; i < values.length; i++) {
            if (n < k || values[i] > values[best[n - 1]]) {
                int j = n < k ? n++ : n - 1;
                while (j > 0 && values[best[j - 1]] < values[i]) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = i;
            }
        }
        return best;
    }
}
