package io.microw.server;

/**
 * The Pearson correlation of two tables of the same shape, taken over all their cells: how well attribution patching's
 * estimates follow the exact patching sweep.
 */
final class Pearson {

    private Pearson() {
    }

    /**
     * Σ (a − ā)(b − b̄) / √(Σ (a − ā)² · Σ (b − b̄)²) over every cell, in double precision.
     *
     * @param a one table [rows][columns]
     * @param b the other, of the same shape
     * @return the correlation in [−1, 1]; NaN when either table is constant (or has a NaN cell)
     * @throws IllegalArgumentException when the shapes differ
     */
    static double of(float[][] a, float[][] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("tables of " + a.length + " and " + b.length + " rows: a correlation "
                    + "needs tables of the same shape");
        }
        double sumA = 0;
        double sumB = 0;
        long n = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) {
                throw new IllegalArgumentException("row " + i + " has " + a[i].length + " and " + b[i].length
                        + " cells: a correlation needs tables of the same shape");
            }
            for (int j = 0; j < a[i].length; j++) {
                sumA += a[i][j];
                sumB += b[i][j];
                n++;
            }
        }
        double meanA = sumA / n;
        double meanB = sumB / n;
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                double da = a[i][j] - meanA;
                double db = b[i][j] - meanB;
                ab += da * db;
                aa += da * da;
                bb += db * db;
            }
        }
        return aa == 0 || bb == 0 ? Double.NaN : ab / Math.sqrt(aa * bb);
    }
}
