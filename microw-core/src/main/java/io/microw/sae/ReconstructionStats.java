package io.microw.sae;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accumulates reconstruction and sparsity metrics over batches, with SAELens' names: {@code mse} (squared
 * error summed over the input dimensions, averaged over tokens — the training loss's MSE term),
 * {@code explained_variance} (1 − Σ squared error / Σ squared distance from the mean input, over all tokens),
 * {@code explained_variance_legacy} (the same ratio per token, averaged), {@code l0} (active latents per token),
 * {@code l1} (sum of codes per token), {@code l2_ratio} (shrinkage: ‖x̂‖ / ‖x‖ per token, averaged).
 */
public final class ReconstructionStats {

    private long tokens;
    private double squaredError;
    private double[] inputSum;
    private double inputSquaredNorm;
    private double legacyExplained;
    private double l2Ratio;
    private double l0;
    private double l1;
    private long codeTokens;

    /**
     * Adds a batch: inputs and reconstructions, row-major [rows, dIn].
     *
     * @param x the inputs
     * @param xHat the reconstructions
     * @param rows rows in the batch
     * @param dIn input width
     */
    public void addReconstruction(float[] x, float[] xHat, int rows, int dIn) {
        if (x.length < (long) rows * dIn || xHat.length < (long) rows * dIn) {
            throw new SaeException("expected " + rows + " x " + dIn + " values, got " + x.length + " and " + xHat.length);
        }
        float[][] xRows = new float[rows][];
        float[][] hatRows = new float[rows][];
        for (int r = 0; r < rows; r++) {
            xRows[r] = Arrays.copyOfRange(x, r * dIn, (r + 1) * dIn);
            hatRows[r] = Arrays.copyOfRange(xHat, r * dIn, (r + 1) * dIn);
        }
        addReconstruction(xRows, hatRows);
    }

    /**
     * Adds a batch held one array per row: inputs and reconstructions, {@code [rows][dIn]} each.
     *
     * @param x the inputs
     * @param xHat the reconstructions
     */
    public void addReconstruction(float[][] x, float[][] xHat) {
        if (x.length != xHat.length) {
            throw new SaeException("expected as many reconstructions as inputs, got " + xHat.length + " for " + x.length);
        }
        if (x.length == 0) {
            return;
        }
        int rows = x.length;
        int dIn = x[0].length;
        for (int r = 0; r < rows; r++) {
            if (x[r].length != dIn || xHat[r].length != dIn) {
                throw new SaeException("row " + r + ": expected " + dIn + " values, got " + x[r].length + " and "
                        + xHat[r].length);
            }
        }
        if (inputSum == null) {
            inputSum = new double[dIn];
        } else if (inputSum.length != dIn) {
            throw new SaeException("input width changed from " + inputSum.length + " to " + dIn);
        }
        double[] batchMean = new double[dIn];
        for (float[] row : x) {
            for (int c = 0; c < dIn; c++) {
                batchMean[c] += row[c];
            }
        }
        for (int c = 0; c < dIn; c++) {
            batchMean[c] /= rows;
        }
        for (int r = 0; r < rows; r++) {
            float[] row = x[r];
            float[] hat = xHat[r];
            double err = 0;
            double norm = 0;
            double normHat = 0;
            double var = 0;
            for (int c = 0; c < dIn; c++) {
                double v = row[c];
                double d = v - hat[c];
                err += d * d;
                norm += v * v;
                normHat += (double) hat[c] * hat[c];
                double centred = v - batchMean[c];
                var += centred * centred;
                inputSum[c] += v;
            }
            squaredError += err;
            inputSquaredNorm += norm;
            legacyExplained += var > 0 ? 1 - err / var : 0;
            l2Ratio += norm > 0 ? Math.sqrt(normHat / norm) : 0;
        }
        tokens += rows;
    }

    /**
     * Adds the code statistics of a batch: total active latents and total code mass over its rows.
     *
     * @param rows rows in the batch
     * @param activeLatents active latents summed over the rows
     * @param codeSum codes summed over the rows
     */
    public void addCodes(int rows, long activeLatents, double codeSum) {
        codeTokens += rows;
        l0 += activeLatents;
        l1 += codeSum;
    }

    /**
     * Tokens added so far.
     *
     * @return the number of tokens
     */
    public long tokens() {
        return tokens;
    }

    /**
     * Mean over the tokens added of the squared error summed over the width; NaN before any token.
     *
     * @return the mean squared error
     */
    public double mse() {
        return tokens == 0 ? Double.NaN : squaredError / tokens;
    }

    /**
     * 1 − Σ‖x − x̂‖² / Σ‖x − mean(x)‖² over every token added.
     *
     * @return the explained variance
     */
    public double explainedVariance() {
        if (tokens == 0) {
            return Double.NaN;
        }
        double meanSquaredNorm = 0;
        for (double s : inputSum) {
            meanSquaredNorm += (s / tokens) * (s / tokens);
        }
        double totalVariance = inputSquaredNorm - tokens * meanSquaredNorm;
        return totalVariance > 0 ? 1 - squaredError / totalVariance : Double.NaN;
    }

    /**
     * Per-token explained variance (against each batch's mean), averaged: SAELens' older definition.
     *
     * @return the legacy explained variance
     */
    public double explainedVarianceLegacy() {
        return tokens == 0 ? Double.NaN : legacyExplained / tokens;
    }

    /**
     * Mean ratio of the reconstruction's norm to the input's; NaN before any token.
     *
     * @return the mean L2 ratio
     */
    public double l2Ratio() {
        return tokens == 0 ? Double.NaN : l2Ratio / tokens;
    }

    /**
     * Mean number of active latents per token; NaN before any codes.
     *
     * @return the mean L0
     */
    public double l0() {
        return codeTokens == 0 ? Double.NaN : l0 / codeTokens;
    }

    /**
     * Mean sum of the codes per token; NaN before any codes.
     *
     * @return the mean L1
     */
    public double l1() {
        return codeTokens == 0 ? Double.NaN : l1 / codeTokens;
    }

    /**
     * The metrics under SAELens' names.
     *
     * @return a new map from metric name to value
     */
    public Map<String, Double> toMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("mse", mse());
        m.put("explained_variance", explainedVariance());
        m.put("explained_variance_legacy", explainedVarianceLegacy());
        m.put("l0", l0());
        m.put("l1", l1());
        m.put("l2_ratio", l2Ratio());
        return m;
    }
}
