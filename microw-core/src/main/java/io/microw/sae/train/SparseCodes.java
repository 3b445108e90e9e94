package io.microw.sae.train;

import java.util.Arrays;

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

    /** Codes with exactly {@code k} entries per row: {@code latent} and {@code value} row-major [rows, k]. */
    static SparseCodes fixedK(int rows, int k, int[] latent, float[] value) {
        int[] start = new int[rows + 1];
        for (int b = 0; b <= rows; b++) {
            start[b] = b * k;
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

    /**
     * The entries grouped by latent (a counting sort, stable): entries {@code entry[start[l]]} to
     * {@code entry[start[l+1] - 1]} have latent {@code l}, in increasing entry order.
     */
    record ByLatent(int[] start, int[] entry) {

        /** Number of latents. */
        int latents() {
            return start.length - 1;
        }
    }

    /** The entries grouped by latent, for {@code latents} latents. */
    ByLatent byLatent(int latents) {
        int[] start = new int[latents + 1];
        int n = size();
        for (int e = 0; e < n; e++) {
            start[latent[e] + 1]++;
        }
        for (int l = 0; l < latents; l++) {
            start[l + 1] += start[l];
        }
        int[] next = Arrays.copyOf(start, latents);
        int[] entry = new int[n];
        for (int e = 0; e < n; e++) {
            entry[next[latent[e]]++] = e;
        }
        return new ByLatent(start, entry);
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
