package io.microw.sae.train;

/**
 * A [d_sae, d] gradient held as its sparse terms: row {@code l} is {@code Σ coef[e] · src[rowOf[e]]} over the
 * entries e of latent l ({@code order}), e.g. the decoder's {@code Σ_b z_bl · g_b}. It is formed one row at a time
 * where it is used, so that the whole gradient need not be written and read back.
 */
record SparseRowGradient(SparseCodes.ByLatent order, int[] rowOf, float[] coef, float[][] src) {

    /** Adds row {@code l} of the gradient to {@code target}, in entry order; returns whether any term was non-zero. */
    boolean addRowInto(int l, float[] target) {
        boolean any = false;
        for (int i = order.start()[l]; i < order.start()[l + 1]; i++) {
            int e = order.entry()[i];
            float s = coef[e];
            if (s != 0f) {
                any = true;
                SparseKernels.addScaled(target, s, src[rowOf[e]]);
            }
        }
        return any;
    }
}
