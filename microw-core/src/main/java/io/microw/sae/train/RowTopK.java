package io.microw.sae.train;

import java.nio.FloatBuffer;

/**
 * Per row of a {@code [rows, n]} matrix read in place (the engine's encoder product), the {@code k} largest of
 * {@code value[b, i] + offset[i]}: the encoder bias is added while the rows are scanned rather than in a pass of
 * its own, and an offset of −∞ leaves a column out (AuxK's live latents). Each row keeps a size-k min-heap, so
 * most values cost one comparison with the heap's smallest. Rows are split between the workers; the result does
 * not depend on the split (equal values keep the earlier column).
 */
final class RowTopK {

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
        workers.forRange(rows, (part, from, to) -> {
            float[] row = new float[n];
            float[] heap = new float[k];
            int[] column = new int[k];
            for (int b = from; b < to; b++) {
                values.get(b * n, row, 0, n); // one bulk copy: cheaper than a checked read per value
                for (int j = 0; j < k; j++) {
                    heap[j] = row[j] + offset[j];
                    column[j] = j;
                }
                for (int j = k / 2 - 1; j >= 0; j--) {
                    siftDown(heap, column, j, k);
                }
                float smallest = heap[0];
                for (int i = k; i < n; i++) {
                    float v = row[i] + offset[i];
                    if (v > smallest) {
                        heap[0] = v;
                        column[0] = i;
                        siftDown(heap, column, 0, k);
                        smallest = heap[0];
                    }
                }
                int out = (firstRow + b) * k;
                for (int j = 0; j < k; j++) {
                    latent[out + j] = column[j];
                    value[out + j] = relu ? Math.max(heap[j], 0f) : heap[j];
                }
            }
        });
    }

    /** Restores the min-heap order below position {@code i}. */
    private static void siftDown(float[] heap, int[] column, int i, int k) {
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
