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
            double sum = 0;
            for (int b = from; b < to; b++) {
                float[] o = out[b];
                if (bias == null) {
                    Arrays.fill(o, 0f);
                } else {
                    System.arraycopy(bias, 0, o, 0, o.length);
                }
                for (int e = codes.rowStart[b]; e < codes.rowStart[b + 1]; e++) {
                    float v = codes.value[e];
                    if (v != 0f) {
                        addScaled(o, v, m[codes.latent[e]]);
                    }
                }
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
     * {@code Σ a[c]·b[c]}: the products in one vectorised pass into {@code scratch}, then summed with eight partial
     * sums (the JIT vectorises neither a float sum nor a loop that mixes both).
     */
    static float sumOfProducts(float[] a, float[] b, float[] scratch) {
        int n = a.length;
        for (int c = 0; c < n; c++) {
            scratch[c] = a[c] * b[c];
        }
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
            s0 += scratch[c];
            s1 += scratch[c + 1];
            s2 += scratch[c + 2];
            s3 += scratch[c + 3];
            s4 += scratch[c + 4];
            s5 += scratch[c + 5];
            s6 += scratch[c + 6];
            s7 += scratch[c + 7];
        }
        for (; c < n; c++) {
            s0 += scratch[c];
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
            for (int l = lo; l < hi; l++) {
                float[] t = target[l];
                for (int i = order.start()[l]; i < order.start()[l + 1]; i++) {
                    int e = order.entry()[i];
                    float s = coef[e];
                    if (s != 0f) {
                        touched[l] = true;
                        addScaled(t, s, src[rowOf[e]]);
                    }
                }
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
            float[] acc = partial[part];
            for (int l = from; l < to; l++) {
                if (weight[l] != 0f) {
                    addScaled(acc, weight[l], m[l]);
                }
            }
        });
        float[] sum = new float[d];
        for (float[] p : partial) {
            addScaled(sum, 1f, p);
        }
        return sum;
    }
}
