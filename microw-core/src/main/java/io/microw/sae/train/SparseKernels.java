package io.microw.sae.train;

import java.util.Arrays;

/**
 * The sparse halves of an SAE training step, written for codes with few non-zeros per row: decoding gathers the
 * active decoder rows, and the weight gradients scatter-add one row per active code instead of multiplying
 * dense [batch, d_sae] matrices. Matrices are held as one array per row (see {@link ParamTensor}): the decoder, and the
 * encoder stored transposed so that each latent's weights are one row. Scatter work is split by latent range,
 * so every row is written by one thread in a fixed order: results are deterministic.
 */
final class SparseKernels {

    private SparseKernels() {
    }

    /**
     * Decoding and the reconstruction error's gradient in one pass over each row, while its decoder rows are in
     * cache: {@code out[b] = bias + Σ_e value[e] · M[latent[e]]} ({@code bias} may be null),
     * {@code g[b] = scale · (out[b] − target[b])}, and {@code dots[e] = g[b] · M[latent[e]]} for every entry e of
     * row b (the gradient reaching each code). Returns {@code Σ_b ‖out[b] − target[b]‖²} (per-thread sums added in
     * thread order).
     */
    static double decodeWithGradient(Workers workers, SparseCodes codes, float[][] m, float[] bias,
                                     float[][] target, float scale, float[][] out, float[][] g, float[] dots) {
        double[] partial = new double[workers.threads()];
        workers.forRange(codes.rows, (part, from, to) -> {
            float[] products = new float[m.length == 0 ? 0 : m[0].length];
            RowAdder adder = new RowAdder();
            double sum = 0;
            for (int b = from; b < to; b++) {
                float[] o = out[b];
                if (bias == null) {
                    Arrays.fill(o, 0f);
                } else {
                    System.arraycopy(bias, 0, o, 0, o.length);
                }
                adder.begin(o);
                for (int e = codes.rowStart[b]; e < codes.rowStart[b + 1]; e++) {
                    float v = codes.value[e];
                    if (v != 0f) {
                        adder.add(v, m[codes.latent[e]]);
                    }
                }
                adder.end();
                float[] t = target[b];
                float[] gb = g[b];
                for (int c = 0; c < o.length; c++) {
                    gb[c] = o[c] - t[c];
                }
                sum += sumOfProducts(gb, gb, products);
                for (int c = 0; c < gb.length; c++) {
                    gb[c] *= scale;
                }
                for (int e = codes.rowStart[b]; e < codes.rowStart[b + 1]; e++) {
                    dots[e] = sumOfProducts(gb, m[codes.latent[e]], products);
                }
            }
            partial[part] += sum;
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        return total;
    }

    /** {@code y += s · x}, elementwise. */
    static void addScaled(float[] y, float s, float[] x) {
        for (int c = 0; c < y.length; c++) {
            y[c] += s * x[c];
        }
    }

    /**
     * Adds scaled rows to one target row four at a time: one pass over the target per four rows instead of one
     * per row (about half the time of single {@link #addScaled} calls for rows of 768), with the additions in the
     * same order, so the sums are the same to the bit. One per thread; {@link #begin} a target, {@link #add} its
     * rows, {@link #end} it.
     */
    static final class RowAdder {
        private final float[] scale = new float[4];
        private final float[][] rows = new float[4][];
        private int pending;
        private float[] target;

        void begin(float[] target) {
            this.target = target;
            pending = 0;
        }

        void add(float s, float[] row) {
            scale[pending] = s;
            rows[pending++] = row;
            if (pending == 4) {
                addScaled4(target, scale[0], rows[0], scale[1], rows[1], scale[2], rows[2], scale[3], rows[3]);
                pending = 0;
            }
        }

        void end() {
            for (int i = 0; i < pending; i++) {
                addScaled(target, scale[i], rows[i]);
            }
            Arrays.fill(rows, null);
            pending = 0;
            target = null;
        }

        private static void addScaled4(float[] y, float s0, float[] x0, float s1, float[] x1, float s2, float[] x2,
                                       float s3, float[] x3) {
            for (int c = 0; c < y.length; c++) {
                y[c] = (((y[c] + s0 * x0[c]) + s1 * x1[c]) + s2 * x2[c]) + s3 * x3[c];
            }
        }
    }

    /**
     * {@code Σ a[c]·b[c]}: the products in one vectorised pass into {@code scratch}, then summed with eight partial
     * sums (the JIT vectorises neither a float sum nor a loop that mixes both).
     */
    static float sumOfProducts(float[] a, float[] b, float[] scratch) {
        for (int c = 0; c < a.length; c++) {
            scratch[c] = a[c] * b[c];
        }
        return sum(scratch);
    }

    /** {@code Σ x[c]} with eight partial sums, added pairwise at the end. */
    static float sum(float[] x) {
        int n = x.length;
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        float s4 = 0f;
        float s5 = 0f;
        float s6 = 0f;
        float s7 = 0f;
        int c = 0;
        for (; c + 7 < n; c += 8) {
            s0 += x[c];
            s1 += x[c + 1];
            s2 += x[c + 2];
            s3 += x[c + 3];
            s4 += x[c + 4];
            s5 += x[c + 5];
            s6 += x[c + 6];
            s7 += x[c + 7];
        }
        for (; c < n; c++) {
            s0 += x[c];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * {@code target[latent[e]] += coef[e] · src[rowOf[e]]} for every entry with a non-zero coefficient, marking
     * the rows touched. Latent by latent ({@code order}), so that each target row is read and written once while
     * its entries are added, in entry order.
     */
    static void scatterRows(Workers workers, SparseCodes.ByLatent order, int[] rowOf, float[] coef, float[][] src,
                            float[][] target, boolean[] touched) {
        workers.forRange(order.latents(), (part, lo, hi) -> {
            RowAdder adder = new RowAdder();
            for (int l = lo; l < hi; l++) {
                adder.begin(target[l]);
                for (int i = order.start()[l]; i < order.start()[l + 1]; i++) {
                    int e = order.entry()[i];
                    float s = coef[e];
                    if (s != 0f) {
                        touched[l] = true;
                        adder.add(s, src[rowOf[e]]);
                    }
                }
                adder.end();
            }
        });
    }

    /**
     * {@code Σ_l weight[l] · M[l]} over the rows with a non-zero weight, a [d] vector (per-thread partial sums
     * added in thread order).
     */
    static float[] weightedRowSum(Workers workers, float[] weight, float[][] m, int d) {
        float[][] partial = new float[workers.threads()][d];
        workers.forRange(weight.length, (part, from, to) -> {
            RowAdder adder = new RowAdder();
            adder.begin(partial[part]);
            for (int l = from; l < to; l++) {
                if (weight[l] != 0f) {
                    adder.add(weight[l], m[l]);
                }
            }
            adder.end();
        });
        float[] sum = new float[d];
        for (float[] p : partial) {
            addScaled(sum, 1f, p);
        }
        return sum;
    }
}
