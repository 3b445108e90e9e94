package io.microw.spark;

import io.microw.concepts.LatentSummary;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Per-latent firing statistics of an SAE over counted tokens, built per partition and merged: tokens counted, firings
 * (codes above 0), mean and maximum code when firing, the same linear histogram as microw's single-machine
 * {@code LatentStatistics} ({@link #BINS} bins over {@code [0, upper)}, {@code upper} the least power of two above
 * every code, starting at 1) and a log-spaced histogram ({@link #LOG_BINS} bins of a fifth of a decade from
 * {@code 1e-4} to {@code 1e4}, codes outside clamped to the end bins). Merging is exact, so the result does not depend
 * on how the tokens were partitioned (the mean's sum aside, which is a double sum in another order).
 */
public final class FeatureStatistics implements Serializable, LatentSummary {

    /** Linear histogram bins per latent, as {@code LatentStatistics.BINS}. */
    public static final int BINS = 32;
    /** Log-spaced histogram bins per latent. */
    public static final int LOG_BINS = 40;
    /** The lower edge of the first log bin. */
    public static final double LOG_LOW = 1e-4;
    /** Log bins per decade. */
    public static final int LOG_BINS_PER_DECADE = 5;

    private final long[] fired;
    private final double[] sum;
    private final float[] max;
    private final long[][] histogram;
    private final float[] upper;
    private final long[][] logHistogram;
    private long tokens;

    /**
     * Empty statistics.
     *
     * @param latents the SAE's width
     */
    public FeatureStatistics(int latents) {
        fired = new long[latents];
        sum = new double[latents];
        max = new float[latents];
        histogram = new long[latents][BINS];
        upper = new float[latents];
        Arrays.fill(upper, 1f);
        logHistogram = new long[latents][LOG_BINS];
    }

    /** Counts one latent's positive code. */
    void add(int latent, float value) {
        fired[latent]++;
        sum[latent] += value;
        max[latent] = Math.max(max[latent], value);
        while (value >= upper[latent]) {
            doubleUpper(latent);
        }
        histogram[latent][Math.min(BINS - 1, (int) (value / upper[latent] * BINS))]++;
        logHistogram[latent][logBin(value)]++;
    }

    /** Counts tokens seen. */
    void addTokens(long n) {
        tokens += n;
    }

    /** Adds {@code other} into this (same width); returns this. */
    FeatureStatistics merge(FeatureStatistics other) {
        if (other.fired.length != fired.length) {
            throw new IllegalArgumentException("cannot merge statistics of " + other.fired.length + " latents into "
                    + fired.length);
        }
        tokens += other.tokens;
        for (int l = 0; l < fired.length; l++) {
            fired[l] += other.fired[l];
            sum[l] += other.sum[l];
            max[l] = Math.max(max[l], other.max[l]);
            long[] theirs = other.histogram[l].clone();
            float theirUpper = other.upper[l];
            while (upper[l] < theirUpper) {
                doubleUpper(l);
            }
            while (theirUpper < upper[l]) {
                halve(theirs);
                theirUpper *= 2;
            }
            for (int i = 0; i < BINS; i++) {
                histogram[l][i] += theirs[i];
            }
            for (int i = 0; i < LOG_BINS; i++) {
                logHistogram[l][i] += other.logHistogram[l][i];
            }
        }
        return this;
    }

    private void doubleUpper(int latent) {
        halve(histogram[latent]);
        upper[latent] *= 2;
    }

    /** Merges bin pairs into the lower half: the histogram of the same codes over twice the range. */
    private static void halve(long[] h) {
        for (int i = 0; i < BINS / 2; i++) {
            h[i] = h[2 * i] + h[2 * i + 1];
        }
        Arrays.fill(h, BINS / 2, BINS, 0);
    }

    private static int logBin(float value) {
        int bin = (int) Math.floor(Math.log10(value / LOG_LOW) * LOG_BINS_PER_DECADE);
        return Math.max(0, Math.min(LOG_BINS - 1, bin));
    }

    /** @return the SAE's width */
    public int latents() {
        return fired.length;
    }

    /** @return counted tokens seen */
    public long tokens() {
        return tokens;
    }

    /**
     * @param latent the latent
     * @return tokens on which it fired
     */
    public long firings(int latent) {
        return fired[latent];
    }

    /**
     * @param latent the latent
     * @return the fraction of counted tokens on which it fired
     */
    public double frequency(int latent) {
        return tokens == 0 ? 0 : (double) fired[latent] / tokens;
    }

    /**
     * @param latent the latent
     * @return its mean code when firing (0 if never)
     */
    public double meanActivation(int latent) {
        return fired[latent] == 0 ? 0 : sum[latent] / fired[latent];
    }

    /**
     * @param latent the latent
     * @return its largest code (0 if it never fired)
     */
    public float maxActivation(int latent) {
        return max[latent];
    }

    /**
     * @param latent the latent
     * @return the linear histogram (a copy); bin i covers {@code [i, i+1) * histogramUpper(latent) / BINS}
     */
    public long[] histogram(int latent) {
        return histogram[latent].clone();
    }

    /**
     * @param latent the latent
     * @return the upper end of the linear histogram's range
     */
    public float histogramUpper(int latent) {
        return upper[latent];
    }

    /**
     * @param latent the latent
     * @return the log-spaced histogram (a copy); bin i covers {@code [LOG_LOW * 10^(i/5), LOG_LOW * 10^((i+1)/5))}
     */
    public long[] logHistogram(int latent) {
        return logHistogram[latent].clone();
    }
}
