package io.microw.sae;

/**
 * Counts, per latent, how many tokens it fired on, and how many tokens ago it last fired. A latent is dead
 * when it has not fired in the last {@code deadWindowTokens} tokens (SAELens' dead_feature_window, in tokens);
 * dense when it fires on more than a given fraction of tokens.
 */
public final class FeatureDensity {

    private final long[] fired;
    private final long[] lastFiredAt;
    private long tokens;

    /**
     * Firing counts for {@code latents} latents, none recorded yet.
     *
     * @param latents the latent count, at least 1
     */
    public FeatureDensity(int latents) {
        if (latents <= 0) {
            throw new SaeException("latent count must be positive, got " + latents);
        }
        this.fired = new long[latents];
        this.lastFiredAt = new long[latents];
    }

    /**
     * Records a batch: {@code active[i]} tokens of the {@code rows} fired latent i.
     *
     * @param activeCounts per latent, the number of rows it fired on
     * @param rows rows in the batch
     */
    public void add(int[] activeCounts, int rows) {
        if (activeCounts.length != fired.length) {
            throw new SaeException("expected counts for " + fired.length + " latents, got " + activeCounts.length);
        }
        tokens += rows;
        for (int i = 0; i < fired.length; i++) {
            if (activeCounts[i] > 0) {
                fired[i] += activeCounts[i];
                lastFiredAt[i] = tokens;
            }
        }
    }

    /**
     * Tokens recorded.
     *
     * @return the number of tokens
     */
    public long tokens() {
        return tokens;
    }

    /**
     * Number of latents.
     *
     * @return the latent count
     */
    public int latents() {
        return fired.length;
    }

    /**
     * Whether latent i has not fired in the last {@code windowTokens} tokens (only once that many were seen).
     *
     * @param latent the latent's index
     * @param windowTokens the window, in tokens
     * @return whether it is dead
     */
    public boolean isDead(int latent, long windowTokens) {
        return tokens >= windowTokens && tokens - lastFiredAt[latent] >= windowTokens;
    }

    /**
     * A mask of the latents dead over the window.
     *
     * @param windowTokens the window, in tokens
     * @return a new mask, true for dead latents
     */
    public boolean[] deadMask(long windowTokens) {
        boolean[] dead = new boolean[fired.length];
        for (int i = 0; i < dead.length; i++) {
            dead[i] = isDead(i, windowTokens);
        }
        return dead;
    }

    /**
     * Fraction of latents dead over the window.
     *
     * @param windowTokens the window, in tokens
     * @return the dead fraction
     */
    public double deadFraction(long windowTokens) {
        int n = 0;
        for (int i = 0; i < fired.length; i++) {
            if (isDead(i, windowTokens)) {
                n++;
            }
        }
        return (double) n / fired.length;
    }

    /**
     * Fraction of latents that fired on more than {@code frequency} of the recorded tokens.
     *
     * @param frequency the firing frequency threshold
     * @return the dense fraction
     */
    public double denseFraction(double frequency) {
        if (tokens == 0) {
            return 0;
        }
        int n = 0;
        for (long f : fired) {
            if ((double) f / tokens > frequency) {
                n++;
            }
        }
        return (double) n / fired.length;
    }

    /**
     * Per-latent firing frequency (fraction of recorded tokens).
     *
     * @return a new array, one frequency per latent
     */
    public double[] frequencies() {
        double[] f = new double[fired.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = tokens == 0 ? 0 : (double) fired[i] / tokens;
        }
        return f;
    }

    /**
     * Per-latent firing counts (a copy), for checkpoints.
     *
     * @return the counts
     */
    public long[] firedCounts() {
        return fired.clone();
    }

    /**
     * Per-latent token count at the last firing (a copy), for checkpoints.
     *
     * @return the token counts
     */
    public long[] lastFiredAt() {
        return lastFiredAt.clone();
    }

    /**
     * Restores the state saved by {@link #firedCounts()}, {@link #lastFiredAt()} and {@link #tokens()}.
     *
     * @param firedCounts as {@link #firedCounts()} returned it
     * @param lastFired as {@link #lastFiredAt()} returned it
     * @param tokenCount as {@link #tokens()} returned it
     */
    public void restore(long[] firedCounts, long[] lastFired, long tokenCount) {
        if (firedCounts.length != fired.length || lastFired.length != fired.length) {
            throw new SaeException("density state has " + firedCounts.length + "/" + lastFired.length
                    + " latents, expected " + fired.length);
        }
        System.arraycopy(firedCounts, 0, fired, 0, fired.length);
        System.arraycopy(lastFired, 0, lastFiredAt, 0, fired.length);
        tokens = tokenCount;
    }

    /** Forgets all counts (start of a new window). */
    public void reset() {
        java.util.Arrays.fill(fired, 0);
        java.util.Arrays.fill(lastFiredAt, 0);
        tokens = 0;
    }
}
