package io.microw.nn;

import java.util.List;

/**
 * Rotary frequencies: base {@code rope_theta}, the rotated share of each head, and the scaling type:
 * {@code default}, {@code linear}, {@code dynamic} (NTK-aware, recomputed for sequences beyond the original context)
 * or {@code llama3}. {@code models.RopeConfig} reads them from a model's config.
 */
public final class RopeScaling {

    private static final List<String> SUPPORTED = List.of("default", "linear", "dynamic", "llama3");

    private final String type;
    private final int rotaryDim;
    private final double theta;
    private final double factor;
    private final int originalMaxPositions;
    private final double lowFreqFactor;
    private final double highFreqFactor;

    private RopeScaling(String type, int rotaryDim, double theta, double factor, int originalMaxPositions,
                        double lowFreqFactor, double highFreqFactor) {
        this.type = type;
        this.rotaryDim = rotaryDim;
        this.theta = theta;
        this.factor = factor;
        this.originalMaxPositions = originalMaxPositions;
        this.lowFreqFactor = lowFreqFactor;
        this.highFreqFactor = highFreqFactor;
    }

    /**
     * Plain rotary embedding over {@code rotaryDim} dimensions with base {@code theta}.
     *
     * @param rotaryDim the number of rotated dimensions, even
     * @param theta     the frequency base
     * @return the settings
     */
    public static RopeScaling plain(int rotaryDim, double theta) {
        return new RopeScaling("default", rotaryDim, theta, 1, 0, 1, 1);
    }

    /**
     * Rotary settings from plain values (a config reader such as {@code models.RopeConfig} supplies them).
     *
     * @param type                 {@code default}, {@code linear}, {@code dynamic} or {@code llama3}
     * @param rotaryDim            the number of rotated dimensions of each head, positive and even
     * @param theta                the frequency base, positive and finite
     * @param factor               the scaling factor (1 for none)
     * @param originalMaxPositions the context length the model was trained for
     * @param lowFreqFactor        llama3's low-frequency factor
     * @param highFreqFactor       llama3's high-frequency factor
     * @return the settings
     * @throws IllegalArgumentException naming the value when the type is unknown or a number is out of range
     */
    public static RopeScaling of(String type, int rotaryDim, double theta, double factor, int originalMaxPositions,
                                 double lowFreqFactor, double highFreqFactor) {
        if (!SUPPORTED.contains(type)) {
            throw new IllegalArgumentException("rope type '" + type + "' is not supported; supported: "
                    + String.join(", ", SUPPORTED));
        }
        if (rotaryDim % 2 != 0 || rotaryDim <= 0) {
            throw new IllegalArgumentException("rotary dimension " + rotaryDim + " must be a positive even number");
        }
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new IllegalArgumentException("rope_theta (the rotary base) is " + theta
                    + "; expected a positive finite number");
        }
        return new RopeScaling(type, rotaryDim, theta, factor, originalMaxPositions, lowFreqFactor, highFreqFactor);
    }

    /**
     * The scaling type.
     *
     * @return {@code default}, {@code linear}, {@code dynamic} or {@code llama3}
     */
    public String type() {
        return type;
    }

    /**
     * Number of rotated dimensions of each head.
     *
     * @return the rotary dimension
     */
    public int rotaryDim() {
        return rotaryDim;
    }

    /**
     * Factor applied to cos and sin (1 for the supported types).
     *
     * @return the factor
     */
    public float attentionScaling() {
        return 1f;
    }

    /**
     * Inverse frequencies [rotaryDim / 2] for a forward whose positions go up to {@code seqLen - 1}.
     *
     * @param seqLen one past the largest position of the forward
     * @return the inverse frequencies
     */
    public float[] inverseFrequencies(long seqLen) {
        double base = theta;
        if (type.equals("dynamic") && seqLen > originalMaxPositions) {
            double scaled = factor * seqLen / originalMaxPositions - (factor - 1);
            base = theta * Math.pow(scaled, rotaryDim / (rotaryDim - 2.0));
        }
        float[] inv = new float[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) {
            // float32 as transformers computes it: base ** (arange(0, dim, 2).float() / dim)
            float exponent = (float) (2 * i) / rotaryDim;
            double value = 1.0 / Math.pow(base, exponent);
            inv[i] = (float) adjust(value);
        }
        return inv;
    }

    private double adjust(double invFreq) {
        switch (type) {
            case "linear":
                return invFreq / factor;
            case "llama3":
                double lowWavelen = originalMaxPositions / lowFreqFactor;
                double highWavelen = originalMaxPositions / highFreqFactor;
                double wavelen = 2 * Math.PI / invFreq;
                if (wavelen > lowWavelen) {
                    return invFreq / factor;
                }
                if (wavelen < highWavelen) {
                    return invFreq;
                }
                double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                return (1 - smooth) * invFreq / factor + smooth * invFreq;
            default:
                return invFreq;
        }
    }
}
