package io.microw.sae;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.io.FloatArray;
import io.microw.io.JsonMapper;
import io.microw.io.SafetensorsException;
import io.microw.io.SafetensorsFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Checks and reshapes the tensors and JSON configs of published SAE files; every error names file and key. */
final class PublishedWeights {

    private static final ObjectMapper MAPPER = JsonMapper.mapper();

    private PublishedWeights() {
    }

    /** The values of {@code key}, checked present, of {@code shape} and finite. */
    static float[] require(Map<String, FloatArray> tensors, String key, long[] shape, Path file, String needs) {
        FloatArray a = tensors.get(key);
        if (a == null) {
            throw new SaeException(file + ": array '" + key + "' " + Arrays.toString(shape) + " is missing; " + needs
                    + ", the file has " + tensors.keySet());
        }
        if (!Arrays.equals(a.shape(), shape)) {
            throw new SaeException(file + ": array '" + key + "' has shape " + a.shapeText() + ", expected "
                    + Arrays.toString(shape));
        }
        float[] v = a.values();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new SaeException(file + ": array '" + key + "' has a non-finite value " + v[i] + " at flat index "
                        + i + "; SAE weights must be finite");
            }
        }
        return v;
    }

    /** The [rows, cols] shape of a 2-D array, or an error naming it. */
    static long[] matrixShape(Map<String, FloatArray> tensors, String key, Path file, String needs) {
        FloatArray a = tensors.get(key);
        if (a == null) {
            throw new SaeException(file + ": array '" + key + "' is missing; " + needs + ", the file has "
                    + tensors.keySet());
        }
        if (a.shape().length != 2) {
            throw new SaeException(file + ": array '" + key + "' has shape " + a.shapeText()
                    + ", expected a matrix [rows, cols]");
        }
        return a.shape();
    }

    /** The transpose of a row-major [rows, cols] matrix. */
    static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    /** A JSON file's root object. */
    static JsonNode readJson(Path file) {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new SaeException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SaeException("cannot read " + file + ": " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new SaeException(file + " must hold a JSON object");
        }
        return root;
    }

    /** A required positive integer of a JSON object. */
    static int positiveInt(Path file, JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
            throw new SaeException(file + ": key '" + key + "' is " + (v == null ? "missing" : v.toString())
                    + "; expected a positive integer");
        }
        return v.intValue();
    }

    /** A required finite number of a JSON object. */
    static double number(Path file, JsonNode node, String key) {
        JsonNode v = node.get(key);
        if (v == null || !v.isNumber() || !Double.isFinite(v.doubleValue())) {
            throw new SaeException(file + ": key '" + key + "' is " + (v == null ? "missing" : v.toString())
                    + "; expected a number");
        }
        return v.doubleValue();
    }

    /** An optional string of a JSON object, or {@code fallback}. */
    static String text(JsonNode node, String key, String fallback) {
        JsonNode v = node.get(key);
        return v != null && v.isTextual() ? v.asText() : fallback;
    }

    /** An optional boolean of a JSON object, or {@code fallback}; a non-boolean is an error. */
    static boolean bool(Path file, JsonNode node, String key, boolean fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new SaeException(file + ": key '" + key + "' is " + v + "; expected true or false");
        }
        return v.booleanValue();
    }

    /** Every tensor of a safetensors file as float32. */
    static Map<String, FloatArray> readSafetensors(Path file) {
        Map<String, FloatArray> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                out.put(name, new FloatArray(f.info(name).shape(), f.readFloats(name), f.info(name).dtype().name()));
            }
        } catch (SafetensorsException e) {
            throw new SaeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }
}
