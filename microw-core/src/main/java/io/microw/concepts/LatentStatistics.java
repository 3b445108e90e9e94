package io.microw.concepts;

/**
 * Per-latent firing statistics over the tokens seen: how often each latent fired, its mean and maximum code, and a
 * histogram of its codes over {@code [0, upper)} in {@link #BINS} bins (the upper bound doubles, merging bins, when
 * a larger code arrives).
 */
public final class LatentStatistics implements LatentSummary {

    /** Histogram bins per latent. */
    public static final int BINS = 32;

    private final long[] fired;
    private final double[] sum;
    private final float[] max;
    private final long[][] histogram;
    private final float[] upper;
    private long tokens;

    LatentStatistics(int latents) {
        fired = new long[latents];
        sum = new double[latents];
        max = new float[latents];
        histogram = new long[latents][BINS];
        upper = new float[latents];
        java.util.Arrays.fill(upper, 1f);
    }

    synchronized void add(int latent, float value) {
        fired[latent]++;
        sum[latent] += value;
        max[latent] = Math.max(max[latent], value);
        while (value >= upper[latent]) {
            long[] h = histogram[latent];
            for (int i = 0; i < BINS / 2; i++) {
                h[i] = h[2 * i] + h[2 * i + 1];
            }
            java.util.Arrays.fill(h, BINS / 2, BINS, 0);
            upper[latent] *= 2;
        }
        histogram[latent][Math.min(BINS - 1, (int) (value / upper[latent] * BINS))]++;
    }

    synchronized void addTokens(long n) {
        tokens += n;
    }

    synchronized void reset() {
        java.util.Arrays.fill(fired, 0);
        java.util.Arrays.fill(sum, 0);
        java.util.Arrays.fill(max, 0);
        for (long[] h : histogram) {
            java.util.Arrays.fill(h, 0);
        }
        java.util.Arrays.fill(upper, 1f);
        tokens = 0;
    }

    /**
     * Counted tokens seen.
     *
     * @return the number of tokens
     */
    public synchronized long tokens() {
        return tokens;
    }

    /**
     * Fraction of tokens on which the latent fired.
     *
     * @param latent the latent's index
     * @return the firing frequency
     */
    public synchronized double frequency(int latent) {
        return tokens == 0 ? 0 : (double) fired[latent] / tokens;
    }

    /**
     * Tokens on which the latent fired.
     *
     * @param latent the latent's index
     * @return the number of tokens
     */
    public synchronized long firings(int latent) {
        return fired[latent];
    }

    /**
     * Mean code when it fired (0 if never).
     *
     * @param latent the latent's index
     * @return the mean activation
     */
    public synchronized double meanActivation(int latent) {
        return fired[latent] == 0 ? 0 : sum[latent] / fired[latent];
    }

    /**
     * Largest code the latent reached (0 if it never fired).
     *
     * @param latent the latent's index
     * @return the maximum activation
     */
    public synchronized float maxActivation(int latent) {
        return max[latent];
    }

    /**
     * Histogram counts (a copy); bin i covers {@code [i, i+1) * histogramUpper(latent) / BINS}.
     *
     * @param latent the latent's index
     * @return the bin counts
     */
    public synchronized long[] histogram(int latent) {
        return histogram[latent].clone();
    }

    /**
     * Upper end of the latent's histogram range.
     *
     * @param latent the latent's index
     * @return the upper end
     */
    public synchronized float histogramUpper(int latent) {
        return upper[latent];
    }
}
