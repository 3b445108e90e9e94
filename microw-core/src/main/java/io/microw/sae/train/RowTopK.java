package io.microw.sae.train;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Per row of a {@code [rows, n]} matrix read in place (the engine's encoder product), the {@code k} largest of
 * {@code value[b, i] + offset[i]}: the encoder bias is added as the rows are read rather than in a pass of its
 * own, and an offset of −∞ leaves a column out (AuxK's live latents). Rows are split between the workers; the
 * result does not depend on the split.
 *
 * <p>Most of a row cannot be in its top k, and a row is ruled out in bulk rather than value by value. The row is
 * read as {@value #FOLD} equal parts, one array each, and folded into one array of their elementwise maxima ({@code
 * group i} = column i of every part): loops the JIT vectorises, since every array is indexed alike. The maxima of
 * sets of those ({@code blocks}, each of every m-th group) give a threshold: the k-th largest block maximum is k
 * distinct values, so no top-k value is below it. Only the groups whose maximum reaches it are read again, value by
 * value, and their values that reach it are the candidates (a few times k for k ≪ n). The candidates are taken in
 * column order through a size-k min-heap, as a full scan of the row takes every value; rows where no such threshold
 * exists (k close to the number of blocks, NaN) are scanned in full.
 */
final class RowTopK {

    /** Parts a row is read as. */
    static final int FOLD = 16;

    private RowTopK() {
    }

    /**
     * The top {@code k} of every row, written to rows {@code firstRow ..} of the row-major {@code [*, k]} arrays
     * {@code latent} and {@code value}.
     *
     * @param values row-major {@code [rows, offset.length]} values (read with absolute gets only, so that threads can
     *               share it)
     * @param offset added to each column, −∞ to leave it out; at least {@code k} columns must stay in
     * @param relu   whether the kept values are ReLU'd (TopK codes) or raw (AuxK's pre-activations)
     */
    static void select(Workers workers, FloatBuffer values, float[] offset, int rows, int k, boolean relu,
                       int[] latent, float[] value, int firstRow) {
        int n = offset.length;
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("k must be in [1, " + n + "], got " + k);
        }
        if ((long) rows * n > values.limit()) {
            throw new IllegalArgumentException("expected " + rows + " x " + n + " values, got " + values.limit());
        }
        float[][] offsetParts = parts(offset, Float.NEGATIVE_INFINITY);
        workers.forRange(rows, (part, from, to) -> {
            RowScan scan = new RowScan(n, k, offsetParts);
            for (int b = from; b < to; b++) {
                scan.select(values, b * n);
                int out = (firstRow + b) * k;
                for (int j = 0; j < k; j++) {
                    latent[out + j] = scan.column[j];
                    value[out + j] = relu ? Math.max(scan.heap[j], 0f) : scan.heap[j];
                }
            }
        });
    }

    /** {@code row} cut into {@link #FOLD} equal parts, the last padded with {@code pad}. */
    private static float[][] parts(float[] row, float pad) {
        int span = span(row.length);
        float[][] parts = new float[FOLD][span];
        for (int f = 0; f < FOLD; f++) {
            int length = partLength(row.length, f);
            System.arraycopy(row, f * span, parts[f], 0, length);
            Arrays.fill(parts[f], length, span, pad);
        }
        return parts;
    }

    /** Columns per part. */
    private static int span(int n) {
        return (n + FOLD - 1) / FOLD;
    }

    /** Columns of {@code n} in part {@code f}. */
    private static int partLength(int n, int f) {
        return Math.max(0, Math.min(span(n), n - f * span(n)));
    }

    /** One thread's working arrays, and the selection of one row; the result is left in {@link #heap}/{@link #column}. */
    private static final class RowScan {
        private final int n;
        private final int k;
        private final int span;
        private final float[][] offset;
        private final float[][] part;
        private final float[] groupMax;
        private final float[] blockMax;
        private final float[] stripe;
        private final int[] selectedGroup;
        private final int[] candidateColumn;
        private final float[] candidateValue;
        final float[] heap;
        final int[] column;

        RowScan(int n, int k, float[][] offset) {
            this.n = n;
            this.k = k;
            this.span = span(n);
            this.offset = offset;
            this.part = new float[FOLD][span];
            this.groupMax = new float[span];
            // several blocks per kept value, so that the threshold rules out most groups
            this.blockMax = new float[Math.min(span, 4 * k)];
            this.stripe = new float[blockMax.length];
            this.selectedGroup = new int[span];
            this.candidateColumn = new int[n];
            this.candidateValue = new float[n];
            this.heap = new float[k];
            this.column = new int[k];
        }

        void select(FloatBuffer values, int rowStart) {
            for (int f = 0; f < FOLD; f++) {
                float[] p = part[f];
                values.get(rowStart + f * span, p, 0, partLength(n, f));
                float[] o = offset[f];
                for (int i = 0; i < span; i++) {
                    p[i] += o[i]; // the padding's offset is −∞
                }
            }
            System.arraycopy(part[0], 0, groupMax, 0, span);
            for (int f = 1; f < FOLD; f++) {
                float[] p = part[f];
                for (int i = 0; i < span; i++) {
                    groupMax[i] = Math.max(groupMax[i], p[i]);
                }
            }
            int candidates = blockMax.length >= k ? candidates(threshold()) : -1;
            if (candidates < k) {
                scanAll();
            } else {
                heapSelect(candidates);
            }
        }

        /**
         * The k-th largest block maximum: no value of the row's top k is below it. Block b holds the groups b,
         * b + blocks, b + 2·blocks, …, so that its maxima come from elementwise (vectorised) maxima of stripes of the
         * group maxima rather than from a chain of scalar ones.
         */
        private float threshold() {
            int blocks = blockMax.length;
            System.arraycopy(groupMax, 0, blockMax, 0, blocks);
            for (int from = blocks; from < span; from += blocks) {
                int length = Math.min(blocks, span - from);
                System.arraycopy(groupMax, from, stripe, 0, length);
                for (int b = 0; b < length; b++) {
                    blockMax[b] = Math.max(blockMax[b], stripe[b]);
                }
            }
            startHeap(blockMax, null);
            for (int b = k; b < blockMax.length; b++) {
                offer(blockMax[b], b);
            }
            return heap[0];
        }

        /**
         * Gathers, in column order, the values at or above {@code threshold}; returns how many, or −1 when the
         * threshold is not a number.
         */
        private int candidates(float threshold) {
            if (Float.isNaN(threshold)) {
                return -1;
            }
            int groups = 0;
            for (int i = 0; i < span; i++) {
                if (groupMax[i] >= threshold) {
                    selectedGroup[groups++] = i;
                }
            }
            int count = 0;
            for (int f = 0; f < FOLD; f++) {
                float[] p = part[f];
                for (int g = 0; g < groups; g++) {
                    int i = selectedGroup[g];
                    if (p[i] >= threshold) {
                        candidateColumn[count] = f * span + i;
                        candidateValue[count++] = p[i];
                    }
                }
            }
            return count;
        }

        private void heapSelect(int candidates) {
            startHeap(candidateValue, candidateColumn);
            for (int c = k; c < candidates; c++) {
                offer(candidateValue[c], candidateColumn[c]);
            }
        }

        private void scanAll() {
            int at = 0;
            for (int f = 0; f < FOLD; f++) {
                int length = partLength(n, f);
                System.arraycopy(part[f], 0, candidateValue, at, length);
                at += length;
            }
            for (int i = 0; i < n; i++) {
                candidateColumn[i] = i;
            }
            heapSelect(n);
        }

        /** Fills the heap with the first k of {@code values} and their {@code columns} (null: 0 .. k−1), ordered. */
        private void startHeap(float[] values, int[] columns) {
            for (int j = 0; j < k; j++) {
                heap[j] = values[j];
                column[j] = columns == null ? j : columns[j];
            }
            for (int j = k / 2 - 1; j >= 0; j--) {
                siftDown(j);
            }
        }

        /** Takes {@code v} in place of the heap's smallest when larger. */
        private void offer(float v, int col) {
            if (v > heap[0]) {
                heap[0] = v;
                column[0] = col;
                siftDown(0);
            }
        }

        /** Restores the min-heap order below position {@code i}. */
        private void siftDown(int i) {
            float v = heap[i];
            int c = column[i];
            while (true) {
                int child = 2 * i + 1;
                if (child >= k) {
                    break;
                }
                if (child + 1 < k && heap[child + 1] < heap[child]) {
                    child++;
                }
                if (!(heap[child] < v)) {
                    break;
                }
                heap[i] = heap[child];
                column[i] = column[child];
                i = child;
            }
            heap[i] = v;
            column[i] = c;
        }
    }
}
