package io.microw.sae.train;

/**
 * The sparse halves of an SAE training step, written for codes with few non-zeros per row: decoding gathers the
 * active decoder rows, and the weight gradients scatter-add one row per active code instead of multiplying
 * dense [batch, d_sae] matrices. Matrices are row-major {@code [d_sae, d]} float arrays (the decoder, and the
 * encoder stored transposed so that each latent's weights are one row). Scatter work is split by latent range,
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
    static double decodeWithGradient(Workers workers, SparseCodes codes, float[] m, int d, float[] bias,
                                     float[] target, float scale, float[] out, float[] g, float[] dots) {
        double[] partial = new double[workers.threads()];
        workers.forRange(codes.rows, (part, from, to) -> {
            double sum = 0;
            for (int b = from; b < to; b++) {
                int base = b * d;
                for (int c = 0; c < d; c++) {
                    out[base + c] = bias == null ? 0f : bias[c];
                }
                for (int e = codes.rowStart[b]; e < codes.rowStart[b + 1]; e++) {
                    float v = codes.value[e];
                    if (v == 0f) {
                        continue;
                    }
                    int row = codes.latent[e] * d;
                    for (int c = 0; c < d; c++) {
                        out[base + c] += v * m[row + c];
                    }
                }
                for (int c = 0; c < d; c++) {
                    float err = out[base + c] - target[base + c];
                    sum += (double) err * err;
                    g[base + c] = scale * err;
                }
                for (int e = codes.rowStart[b]; e < codes.rowStart[b + 1]; e++) {
                    dots[e] = dot(g, base, m, codes.latent[e] * d, d);
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

    /**
     * {@code a[aFrom ..] · b[bFrom ..]} over {@code n} values, with four partial sums (the JIT does not vectorise a
     * float sum, and a single running sum waits on each addition).
     */
    private static float dot(float[] a, int aFrom, float[] b, int bFrom, int n) {
        float s0 = 0f;
        float s1 = 0f;
        float s2 = 0f;
        float s3 = 0f;
        int c = 0;
        for (; c + 3 < n; c += 4) {
            s0 += a[aFrom + c] * b[bFrom + c];
            s1 += a[aFrom + c + 1] * b[bFrom + c + 1];
            s2 += a[aFrom + c + 2] * b[bFrom + c + 2];
            s3 += a[aFrom + c + 3] * b[bFrom + c + 3];
        }
        for (; c < n; c++) {
            s0 += a[aFrom + c] * b[bFrom + c];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * {@code target[latent[e]] += coef[e] · src[rowOf[e]]} for every entry with a non-zero coefficient, marking
     * the rows touched. Latent by latent ({@code order}), so that each target row is read and written once while
     * its entries are added, in entry order.
     */
    static void scatterRows(Workers workers, SparseCodes.ByLatent order, int[] rowOf, float[] coef, float[] src,
                            int d, float[] target, boolean[] touched) {
        workers.forRange(order.latents(), (part, lo, hi) -> {
            for (int l = lo; l < hi; l++) {
                int row = l * d;
                for (int i = order.start()[l]; i < order.start()[l + 1]; i++) {
                    int e = order.entry()[i];
                    float s = coef[e];
                    if (s == 0f) {
                        continue;
                    }
                    touched[l] = true;
                    int base = rowOf[e] * d;
                    for (int c = 0; c < d; c++) {
                        target[row + c] += s * src[base + c];
                    }
                }
            }
        });
    }

    /**
     * {@code Σ_l weight[l] · M[l]} over the rows with a non-zero weight, a [d] vector (per-thread partial sums
     * added in thread order).
     */
    static float[] weightedRowSum(Workers workers, float[] weight, float[] m, int d) {
        float[][] partial = new float[workers.threads()][d];
        workers.forRange(weight.length, (part, from, to) -> {
            float[] acc = partial[part];
            for (int l = from; l < to; l++) {
                float s = weight[l];
                if (s == 0f) {
                    continue;
                }
                int row = l * d;
                for (int c = 0; c < d; c++) {
                    acc[c] += s * m[row + c];
                }
            }
        });
        float[] sum = new float[d];
        for (float[] p : partial) {
            for (int c = 0; c < d; c++) {
                sum[c] += p[c];
            }
        }
        return sum;
    }
}
