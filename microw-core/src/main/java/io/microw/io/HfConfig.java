package io.microw.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code config.json} with typed getters; a missing key, a value of the wrong type, or a size that
 * is zero or negative is a {@link ConfigException} naming the key, the value, what was expected and the file.
 */
public final class HfConfig {

    private static final ObjectMapper MAPPER = JsonMapper.mapper();
    private static final String INLINE = "<inline>";

    private final ObjectNode json;
    private final String source;

    private HfConfig(ObjectNode json, String source) {
        this.json = Objects.requireNonNull(json, "json");
        this.source = source;
    }

    /**
     * Reads a config.json file.
     *
     * @param configJson the config.json file
     * @return the config, naming the file in its errors
     * @throws ConfigException when the file is missing, unreadable, or not a JSON object
     */
    public static HfConfig read(Path configJson) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(configJson);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + configJson + " not found", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + configJson + ": " + e, e);
        }
        return new HfConfig(parseObject(bytes, configJson.toString()), configJson.toString());
    }

    /**
     * Wraps an already parsed config.
     *
     * @param json the config object (kept, not copied)
     * @return the config, with source {@code <inline>}
     */
    public static HfConfig of(ObjectNode json) {
        return new HfConfig(json, INLINE);
    }

    /**
     * Parses config JSON text.
     *
     * @param json the JSON text of a config object
     * @return the config, with source {@code <inline>}
     * @throws ConfigException when the text is not a JSON object
     */
    public static HfConfig parse(String json) {
        return new HfConfig(parseObject(json.getBytes(StandardCharsets.UTF_8), INLINE), INLINE);
    }

    private static ObjectNode parseObject(byte[] bytes, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config " + source + " is not valid JSON: " + JsonErrors.describe(e), e);
        } catch (IOException e) {
            throw new ConfigException("cannot parse config " + source + ": " + e, e);
        }
        if (!(root instanceof ObjectNode object)) {
            throw new ConfigException("config " + source + " must be a JSON object, got "
                    + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType()));
        }
        return object;
    }

    /**
     * The underlying JSON (not a copy).
     *
     * @return the JSON object
     */
    public ObjectNode json() {
        return json;
    }

    /**
     * The file this config came from, or "&lt;inline&gt;".
     *
     * @return the file path, or {@code <inline>}
     */
    public String source() {
        return source;
    }

    /**
     * The {@code model_type} key, e.g. "gpt2" or "llama".
     *
     * @return the model type
     * @throws ConfigException when the key is missing or not a string
     */
    public String modelType() {
        return requireString("model_type");
    }

    /**
     * True if the key is present with a non-null value.
     *
     * @param key a top-level key
     * @return whether it has a non-null value
     */
    public boolean has(String key) {
        return value(key) != null;
    }

    /**
     * The int value of a required key.
     *
     * @param key a top-level key
     * @return its value
     * @throws ConfigException when the key is missing, null or not an int
     */
    public int requireInt(String key) {
        return toInt(key, require(key));
    }

    /**
     * The int value, or {@code def} when the key is absent or null.
     *
     * @param key a top-level key
     * @param def the default
     * @return the value or {@code def}
     */
    public int getInt(String key, int def) {
        JsonNode n = value(key);
        return n == null ? def : toInt(key, n);
    }

    /**
     * The int value, empty when the key is absent or null.
     *
     * @param key a top-level key
     * @return the value, or empty
     */
    public OptionalInt optionalInt(String key) {
        JsonNode n = value(key);
        return n == null ? OptionalInt.empty() : OptionalInt.of(toInt(key, n));
    }

    /**
     * The int value of the first of {@code keys} that is present and not null, e.g. firstInt("n_embd", "hidden_size").
     *
     * @param keys the keys to try, in order
     * @return the first value found
     * @throws ConfigException when none of the keys has a value
     */
    public int firstInt(String... keys) {
        for (String key : keys) {
            JsonNode n = value(key);
            if (n != null) {
                return toInt(key, n);
            }
        }
        throw noneOf(keys);
    }

    /**
     * The value of a required size or count, which must be a positive int.
     *
     * @param key a top-level key, e.g. {@code vocab_size}
     * @return its value, at least 1
     * @throws ConfigException when the key is missing, null, not an int, or zero or negative
     */
    public int requirePositiveInt(String key) {
        int v = requireInt(key);
        if (v <= 0) {
            throw wrongValue(key, require(key), "a positive int");
        }
        return v;
    }

    /**
     * The value of an optional size or count, which must be a positive int when given.
     *
     * @param key a top-level key, e.g. {@code n_inner}
     * @param def the default when the key is absent or null (not checked)
     * @return the value or {@code def}
     * @throws ConfigException when the value is not an int, or zero or negative
     */
    public int getPositiveInt(String key, int def) {
        return has(key) ? requirePositiveInt(key) : def;
    }

    /**
     * The value of the first of {@code keys} that has one, which must be a positive int: a size read under either
     * of its names, e.g. firstPositiveInt("n_embd", "hidden_size").
     *
     * @param keys the keys to try, in order
     * @return the first value found, at least 1
     * @throws ConfigException when none of the keys has a value, or the first found is not a positive int
     */
    public int firstPositiveInt(String... keys) {
        for (String key : keys) {
            if (has(key)) {
                return requirePositiveInt(key);
            }
        }
        throw noneOf(keys);
    }

    /**
     * The value of an optional number that must be positive and finite when given (an epsilon, a base).
     *
     * @param key a top-level key, e.g. {@code layer_norm_epsilon}
     * @param def the default when the key is absent or null (not checked)
     * @return the value or {@code def}
     * @throws ConfigException when the value is not a number, or zero, negative or infinite
     */
    public double getPositiveDouble(String key, double def) {
        JsonNode n = value(key);
        if (n == null) {
            return def;
        }
        double v = toDouble(key, n);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw wrongValue(key, n, "a positive finite number");
        }
        return v;
    }

    private ConfigException noneOf(String... keys) {
        return new ConfigException("config " + source + " has none of the keys " + Arrays.toString(keys)
                + "; expected one of them to be an int");
    }

    /**
     * The number value of a required key.
     *
     * @param key a top-level key
     * @return its value
     * @throws ConfigException when the key is missing, null or not a number
     */
    public double requireDouble(String key) {
        return toDouble(key, require(key));
    }

    /**
     * The number value, or {@code def} when the key is absent or null.
     *
     * @param key a top-level key
     * @param def the default
     * @return the value or {@code def}
     */
    public double getDouble(String key, double def) {
        JsonNode n = value(key);
        return n == null ? def : toDouble(key, n);
    }

    /**
     * The string value of a required key.
     *
     * @param key a top-level key
     * @return its value
     * @throws ConfigException when the key is missing, null or not a string
     */
    public String requireString(String key) {
        return toText(key, require(key));
    }

    /**
     * The string value, or {@code def} when the key is absent or null.
     *
     * @param key a top-level key
     * @param def the default
     * @return the value or {@code def}
     */
    public String getString(String key, String def) {
        JsonNode n = value(key);
        return n == null ? def : toText(key, n);
    }

    /**
     * The boolean value, or {@code def} when the key is absent or null.
     *
     * @param key a top-level key
     * @param def the default
     * @return the value or {@code def}
     * @throws ConfigException when the value is not a boolean
     */
    public boolean getBoolean(String key, boolean def) {
        JsonNode n = value(key);
        if (n == null) {
            return def;
        }
        if (!n.isBoolean()) {
            throw wrongValue(key, n, "a boolean");
        }
        return n.booleanValue();
    }

    /**
     * An int or a list of ints (as eos_token_id may be) as a list; empty when absent or null.
     *
     * @param key a top-level key
     * @return the ints, in order
     */
    public List<Integer> intList(String key) {
        JsonNode n = value(key);
        List<Integer> result = new ArrayList<>();
        if (n == null) {
            return result;
        }
        for (JsonNode element : n.isArray() ? n : List.of(n)) {
            if (!isInt(element)) {
                throw wrongValue(key, n, "an int or a list of ints");
            }
            result.add(element.intValue());
        }
        return result;
    }

    @Override
    public String toString() {
        return "HfConfig(" + source + ")";
    }

    /** The value of the key, or null when absent or JSON null. */
    private JsonNode value(String key) {
        JsonNode n = json.get(key);
        return n == null || n.isNull() ? null : n;
    }

    private JsonNode require(String key) {
        JsonNode n = value(key);
        if (n == null) {
            throw new ConfigException("config " + source + ": required key '" + key + "' is "
                    + (json.has(key) ? "null" : "missing"));
        }
        return n;
    }

    private int toInt(String key, JsonNode n) {
        if (!isInt(n)) {
            throw wrongValue(key, n, "an int");
        }
        return n.intValue();
    }

    private static boolean isInt(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToInt();
    }

    private double toDouble(String key, JsonNode n) {
        if (!n.isNumber()) {
            throw wrongValue(key, n, "a number");
        }
        return n.doubleValue();
    }

    private String toText(String key, JsonNode n) {
        if (!n.isTextual()) {
            throw wrongValue(key, n, "a string");
        }
        return n.textValue();
    }

    private ConfigException wrongValue(String key, JsonNode n, String expected) {
        String value = n.toString();
        if (value.length() > 80) {
            value = value.substring(0, 77) + "...";
        }
        return new ConfigException("config " + source + ": key '" + key + "' is " + value + " ("
                + n.getNodeType().toString().toLowerCase() + "), expected " + expected);
    }
}
