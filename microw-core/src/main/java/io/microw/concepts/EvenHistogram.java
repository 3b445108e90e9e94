package io.microw.concepts;

/**
 * A histogram of some values in equal bins from their smallest to their largest, binned as {@code torch.histc}
 * bins them (in float arithmetic; the largest value falls in the last bin; when all values are equal the range is
 * widened by 1 each side), with each bin's centre as SAE dashboards label it.
 *
 * @param heights the count in each bin
 * @param centres each bin's centre, {@code min + (i + ½)(max - min) / bins}
 */
record EvenHistogram(long[] heights, double[] centres) {

    /** The histogram of {@code values} in {@code bins} bins; empty arrays when there are no values. */
    static EvenHistogram of(float[] values, int bins) {
        if (values.length == 0) {
            return new EvenHistogram(new long[0], new double[0]);
        }
        float min = values[0];
        float max = values[0];
        for (float v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float lo = min == max ? min - 1 : min;
        float hi = min == max ? max + 1 : max;
        long[] heights = new long[bins];
        for (float v : values) {
            int bin = (int) ((v - lo) / (hi - lo) * bins);
            heights[Math.min(bin, bins - 1)]++;
        }
        double[] centres = new double[bins];
        double width = ((double) max - min) / bins;
        for (int i = 0; i < bins; i++) {
            centres[i] = min + (i + 0.5) * width;
        }
        return new EvenHistogram(heights, centres);
    }
}
