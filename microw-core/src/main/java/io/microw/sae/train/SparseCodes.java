package io.microw.sae.train;

/**
 * The non-zero codes of a batch, row by row (compressed sparse rows): entries {@code rowStart[b]} to
 * {@code rowStart[b+1]} of {@code latent} and {@code value} belong to row {@code b}. Values are the codes after
 * the activation (a kept value of 0 contributes nothing and passes no gradient).
 */
final class SparseCodes {

    final int rows;
    final int[] rowStart;
    final int[] latent;
    final float[] value;

    SparseCodes(int rows, int[] rowStart, int[] latent, float[] value) {
        this.rows = rows;
        this.rowStart = rowStart;
        this.latent = latent;
        this.value = value;
    }

    /**
     * Codes with exactly {@code k} entries per row: indices and values row-major [rows, k], ReLU'd when {@code relu}
     * (TopK), raw otherwise (AuxK uses the dead latents' raw top pre-activations, as SAELens does).
     */
    static SparseCodes fixedK(int rows, int k, long[] indices, float[] values, boolean relu) {
        int[] start = new int[rows + 1];
        for (int b = 0; b <= rows; b++) {
            start[b] = b * k;
        }
        int[] latent = new int[rows * k];
        float[] value = new float[rows * k];
        for (int e = 0; e < latent.length; e++) {
            latent[e] = (int) indices[e];
            value[e] = relu ? Math.max(values[e], 0f) : values[e];
        }
        return new SparseCodes(rows, start, latent, value);
    }

    /** Number of stored entries. */
    int size() {
        return rowStart[rows];
    }

    /** Entries with a positive value (the active latents). */
    long activeCount() {
        long n = 0;
        for (int e = 0; e < size(); e++) {
            if (value[e] > 0) {
                n++;
            }
        }
        return n;
    }

    /** Sum of the values. */
    double valueSum() {
        double s = 0;
        for (int e = 0; e < size(); e++) {
            s += value[e];
        }
        return s;
    }

    /** Per latent, the number of rows in which it is active. */
    int[] activeCounts(int latents) {
        int[] counts = new int[latents];
        for (int e = 0; e < size(); e++) {
            if (value[e] > 0) {
                counts[latent[e]]++;
            }
        }
        return counts;
    }

    /** The row of entry {@code e}'s position lists, expanded: {@code rowOf[e]}. */
    int[] rowOfEntries() {
        int[] rowOf = new int[size()];
        for (int b = 0; b < rows; b++) {
            for (int e = rowStart[b]; e < rowStart[b + 1]; e++) {
                rowOf[e] = b;
            }
        }
        return rowOf;
    }
}
