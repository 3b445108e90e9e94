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

    /** {@code out[b] = bias + Σ_e value[e] · M[latent[e]]} for every row b ({@code bias} may be null). */
    static void decode(Workers workers, SparseCodes codes, float[] m, int d, float[] bias, float[] out) {
        workers.forRange(codes.rows, (part, from, to) -> {
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
            }
        });
    }

    /** {@code out[e] = g[b] · M[latent[e]]} for every entry e of row b. */
    static void rowDots(Workers workers, SparseCodes codes, float[] m, int d, float[] g, float[] out) {
        workers.forRange(codes.rows, (part, from, to) -> {
            for (int b = from; b < to; b++) {
                int base = b * d;
                for (int e = codes.rowStart[b]; e < codes.rowStart[b + 1]; e++) {
                    int row = codes.latent[e] * d;
                    float s = 0f;
                    for (int c = 0; c < d; c++) {
                        s += g[base + c] * m[row + c];
                    }
                    out[e] = s;
                }
            }
        });
    }

    /**
     * {@code target[latent[e]] += coef[e] · src[rowOf[e]]} for every entry with a non-zero coefficient, marking
     * the rows touched.
     */
    static void scatterRows(Workers workers, SparseCodes codes, int[] rowOf, float[] coef, float[] src, int d,
                            float[] target, boolean[] touched, int latents) {
        workers.forRange(latents, (part, lo, hi) -> {
            for (int e = 0; e < rowOf.length; e++) {
                int l = codes.latent[e];
                float s = coef[e];
                if (l < lo || l >= hi || s == 0f) {
                    continue;
                }
                touched[l] = true;
                int row = l * d;
                int base = rowOf[e] * d;
                for (int c = 0; c < d; c++) {
                    target[row + c] += s * src[base + c];
                }
            }
        });
    }

    /** {@code Σ_e coef[e] · M[latent[e]]}, a [d] vector (per-thread partial sums added in thread order). */
    static float[] weightedRowSum(Workers workers, SparseCodes codes, float[] coef, float[] m, int d) {
        float[][] partial = new float[workers.threads()][d];
        workers.forRange(codes.size(), (part, from, to) -> {
            float[] acc = partial[part];
            for (int e = from; e < to; e++) {
                float s = coef[e];
                if (s == 0f) {
                    continue;
                }
                int row = codes.latent[e] * d;
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
