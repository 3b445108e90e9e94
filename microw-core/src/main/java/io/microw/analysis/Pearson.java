package io.microw.analysis;

/**
 * The Pearson correlation of two tables of the same shape, over the cells finite in both: how well an estimate
 * (attribution patching, say) follows an exact sweep.
 * <pre>{@code
 * double r = Pearson.of(exact.values(), estimate.values());
 * }</pre>
 */
public final class Pearson {

    private Pearson() {
    }

    /**
     * Pearson's r of the cells of {@code x} and {@code y}, in double precision.
     *
     * @param x one table [rows][columns]
     * @param y the other, of the same shape
     * @return r in [−1, 1]; NaN when fewer than two cells are finite in both or either table is constant over them
     * @throws IllegalArgumentException when the shapes differ
     */
    public static double of(float[][] x, float[][] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("tables of " + x.length + " and " + y.length + " rows cannot be "
                    + "correlated cell by cell");
        }
        double sx = 0;
        double sy = 0;
        int n = 0;
        for (int r = 0; r < x.length; r++) {
            if (x[r].length != y[r].length) {
                throw new IllegalArgumentException("row " + r + " has " + x[r].length + " and " + y[r].length
                        + " cells; the tables must have the same shape");
            }
            for (int c = 0; c < x[r].length; c++) {
                if (Float.isFinite(x[r][c]) && Float.isFinite(y[r][c])) {
                    sx += x[r][c];
                    sy += y[r][c];
                    n++;
                }
            }
        }
        if (n < 2) {
            return Double.NaN;
        }
        double mx = sx / n;
        double my = sy / n;
        double sxx = 0;
        double syy = 0;
        double sxy = 0;
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[r].length; c++) {
                if (Float.isFinite(x[r][c]) && Float.isFinite(y[r][c])) {
                    double dx = x[r][c] - mx;
                    double dy = y[r][c] - my;
                    sxx += dx * dx;
                    syy += dy * dy;
                    sxy += dx * dy;
                }
            }
        }
        return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
    }
}
