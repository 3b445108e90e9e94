package io.microw.concepts;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Contexts from several activation ranges of each latent, as SAE dashboards show them: a latent's firings (a
 * text's best token) fall into {@link #RANGES} equal ranges of its largest activation so far, and each range keeps a
 * uniform sample (reservoir sampling, deterministic for a seed) of {@code perRange} contexts. Ranges are judged
 * against the maximum seen when the context arrived, so early contexts may sit one range too high.
 */
final class QuantileSamples {

    /** Activation ranges per latent: (0, ¼], (¼, ½], (½, ¾], (¾, 1] of the maximum. */
    static final int RANGES = 4;

    private final int perRange;
    private final float[] max;
    private final long[][] seen;
    private final List<List<List<LatentContext>>> samples;
    private final SplittableRandom random;

    QuantileSamples(int latents, int perRange, long seed) {
        this.perRange = perRange;
        this.max = new float[latents];
        this.seen = new long[latents][RANGES];
        this.samples = new ArrayList<>(latents);
        for (int l = 0; l < latents; l++) {
            List<List<LatentContext>> ranges = new ArrayList<>(RANGES);
            for (int r = 0; r < RANGES; r++) {
                ranges.add(new ArrayList<>());
            }
            samples.add(ranges);
        }
        this.random = new SplittableRandom(seed);
    }

    /** The range a value falls in for this latent (updating its maximum). */
    int rangeOf(int latent, float value) {
        max[latent] = Math.max(max[latent], value);
        return Math.min(RANGES - 1, (int) Math.ceil(value / max[latent] * RANGES) - 1);
    }

    /** Whether a context for this (latent, range) would be kept; if so the caller builds it and calls {@link #put}. */
    int slotFor(int latent, int range) {
        long n = ++seen[latent][range];
        if (n <= perRange) {
            return (int) n - 1;
        }
        long j = random.nextLong(n);
        return j < perRange ? (int) j : -1;
    }

    void put(int latent, int range, int slot, LatentContext context) {
        List<LatentContext> list = samples.get(latent).get(range);
        if (slot < list.size()) {
            list.set(slot, context);
        } else {
            list.add(context);
        }
    }

    /** Samples of a latent's range r (0 = weakest quarter), strongest first. */
    List<LatentContext> samples(int latent, int range) {
        List<LatentContext> out = new ArrayList<>(samples.get(latent).get(range));
        out.sort((a, b) -> Float.compare(b.activation(), a.activation()));
        return out;
    }

    void reset() {
        java.util.Arrays.fill(max, 0);
        for (long[] s : seen) {
            java.util.Arrays.fill(s, 0);
        }
        samples.forEach(ranges -> ranges.forEach(List::clear));
    }
}
