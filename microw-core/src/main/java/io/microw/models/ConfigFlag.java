package io.microw.models;

import io.microw.io.HfConfig;

/**
 * A yes/no setting of a model variant: fixed by the model type ({@link #ON}, {@link #OFF}) or read from a
 * {@code config.json} key with the default the model type's transformers config class gives it.
 *
 * @param key      the config key to read, or null when the model type fixes the value
 * @param fallback the value when the key is absent (or the fixed value)
 */
public record ConfigFlag(String key, boolean fallback) {

    /** Always on, whatever the config says. */
    public static final ConfigFlag ON = new ConfigFlag(null, true);

    /** Always off, whatever the config says. */
    public static final ConfigFlag OFF = new ConfigFlag(null, false);

    /**
     * A flag read from {@code key}, off when the config omits it.
     *
     * @param key a top-level config key, e.g. {@code attention_bias}
     * @return the flag
     */
    public static ConfigFlag fromConfig(String key) {
        return new ConfigFlag(key, false);
    }

    /**
     * The flag's value for one config.
     *
     * @param config the parsed {@code config.json}
     * @return the value of {@link #key()} (or {@link #fallback()} when absent), or the fixed value
     * @throws io.microw.io.ConfigException when the key holds something other than a boolean
     */
    public boolean read(HfConfig config) {
        return key == null ? fallback : config.getBoolean(key, fallback);
    }
}
