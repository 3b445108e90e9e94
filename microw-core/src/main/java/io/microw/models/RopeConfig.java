package io.microw.models;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.io.ConfigException;
import io.microw.io.HfConfig;
import io.microw.nn.RopeScaling;

/**
 * Reads a config's rotary settings: the {@code rope_parameters} block of current configs and the older
 * {@code rope_theta}/{@code rope_scaling} keys, the rotated share ({@code partial_rotary_factor}, else GPT-NeoX's
 * legacy {@code rotary_pct}, else 1) and the scaling type.
 */
final class RopeConfig {

    private RopeConfig() {
    }

    /**
     * Reads the rotary settings of a config for heads of {@code headDim}.
     *
     * @param config       the model's config
     * @param headDim      the width of one attention head
     * @param maxPositions the model's context length, the default of {@code original_max_position_embeddings}
     * @return the settings
     * @throws ConfigException naming the config and the value when a setting is unsupported or out of range
     */
    static RopeScaling read(HfConfig config, int headDim, int maxPositions) {
        JsonNode json = config.json();
        JsonNode params = json.path("rope_parameters");
        JsonNode legacy = json.path("rope_scaling");
        double theta = number(params, "rope_theta", config.getDouble("rope_theta",
                config.getDouble("rotary_emb_base", 10000.0)));
        double partial = number(params, "partial_rotary_factor", config.getDouble("partial_rotary_factor",
                config.getDouble("rotary_pct", 1.0)));
        JsonNode scaling = params.isObject() ? params : legacy;
        String type = scaling.isObject()
                ? scaling.path("rope_type").asText(scaling.path("type").asText("default"))
                : "default";
        int rotaryDim = (int) (headDim * partial);
        int original = (int) number(scaling, "original_max_position_embeddings",
                config.getInt("original_max_position_embeddings", maxPositions));
        try {
            return RopeScaling.of(type, rotaryDim, theta, number(scaling, "factor", 1.0), original,
                    number(scaling, "low_freq_factor", 1.0), number(scaling, "high_freq_factor", 4.0));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("config " + config.source() + " (head_dim " + headDim
                    + ", partial_rotary_factor " + partial + "): " + e.getMessage(), e);
        }
    }

    private static double number(JsonNode node, String key, double fallback) {
        JsonNode v = node.path(key);
        return v.isNumber() ? v.asDouble() : fallback;
    }
}
