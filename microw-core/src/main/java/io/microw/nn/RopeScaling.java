package io.microw.nn;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.MicrowException;
import io.microw.io.ConfigException;
import io.microw.io.HfConfig;

/**
 * Rotary frequencies as a config describes them: base {@code rope_theta}, the rotated share of each head
 * ({@code partial_rotary_factor}), and the scaling type: {@code default}, {@code linear}, {@code dynamic}
 * (NTK-aware, recomputed for sequences beyond the original context) or {@code llama3}. Reads the
 * {@code rope_parameters} block of current configs and the older {@code rope_theta}/{@code rope_scaling} keys.
 */
public final class RopeScaling {

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
     * Reads the rotary settings of a config for heads of {@code headDim}; the rotated share is
     * {@code partial_rotary_factor}, else GPT-NeoX's legacy {@code rotary_pct}, else 1.
     *
     * @param config       the model's config
     * @param headDim      the width of one attention head
     * @param maxPositions the model's context length, the default of {@code original_max_position_embeddings}
     * @return the settings
     */
    public static RopeScaling from(HfConfig config, int headDim, int maxPositions) {
        JsonNode json = config.json();
        JsonNode params = json.path("rope_parameters");
        JsonNode legacy = json.path("rope_scaling");
        double theta = number(params, "rope_theta", config.getDouble("rope_theta",
                config.getDouble("rotary_emb_base", 10000.0)));
        if (!(theta > 0) || Double.isInfinite(theta)) {
            throw new ConfigException("config " + config.source() + ": rope_theta (the rotary base) is " + theta
                    + "; expected a positive finite number");
        }
        double partial = number(params, "partial_rotary_factor", config.getDouble("partial_rotary_factor",
                config.getDouble("rotary_pct", 1.0)));
        JsonNode scaling = params.isObject() ? params : legacy;
        String type = scaling.isObject()
                ? scaling.path("rope_type").asText(scaling.path("type").asText("default"))
                : "default";
        int rotaryDim = (int) (headDim * partial);
        if (rotaryDim % 2 != 0 || rotaryDim <= 0) {
            throw new MicrowException(config.source() + ": rotary dimension " + rotaryDim + " (head_dim " + headDim
                    + " x partial_rotary_factor " + partial + ") must be a positive even number");
        }
        double factor = number(scaling, "factor", 1.0);
        int original = (int) number(scaling, "original_max_position_embeddings",
                config.getInt("original_max_position_embeddings", maxPositions));
        switch (type) {
            case "default":
            case "linear":
            case "dynamic":
            case "llama3":
                break;
            default:
                throw new MicrowException(config.source() + ": rope type '" + type + "' is not supported; supported: "
                        + "default, linear, dynamic, llama3");
        }
        return new RopeScaling(type, rotaryDim, theta, factor, original, number(scaling, "low_freq_factor", 1.0),
                number(scaling, "high_freq_factor", 4.0));
    }

    private static double number(JsonNode node, String key, double fallback) {
        JsonNode v = node.path(key);
        return v.isNumber() ? v.asDouble() : fallback;
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
