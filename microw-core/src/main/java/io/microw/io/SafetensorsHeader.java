package io.microw.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.microw.io.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parsed and validated JSON header of a safetensors file: tensor entries in header order and {@code __metadata__}. */
record SafetensorsHeader(Map<String, TensorInfo> tensors, Map<String, String> metadata) {

    static final String METADATA_KEY = "__metadata__";

    private static final ObjectReader MAPPER = JsonMapper.strict();

    /**
     * Parses {@code json}, the header of {@code source}, whose data section is {@code dataSize} bytes long;
     * any inconsistency is a {@link SafetensorsException} naming the source, the tensor and the bad value.
     */
    static SafetensorsHeader parse(String source, byte[] json, long dataSize) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(source + ": header is not valid JSON: " + JsonErrors.describe(e), e);
        } catch (IOException e) {
            throw new SafetensorsException(source + ": cannot parse header: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            String got = root == null || root.isMissingNode() ? "nothing" : root.getNodeType().toString().toLowerCase();
            throw new SafetensorsException(source + ": header must be a JSON object, got " + got);
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(source, field.getValue());
            } else {
                tensors.put(field.getKey(), parseEntry(source, field.getKey(), field.getValue(), dataSize));
            }
        }
        checkNoOverlap(source, tensors);
        return new SafetensorsHeader(Collections.unmodifiableMap(tensors), metadata);
    }

    private static Map<String, String> parseMetadata(String source, JsonNode node) {
        if (!node.isObject()) {
            throw new SafetensorsException(source + ": " + METADATA_KEY + " must be a JSON object of strings, got " + node);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(source + ": " + METADATA_KEY + " value of '" + e.getKey()
                        + "' must be a string, got " + e.getValue());
            }
            metadata.put(e.getKey(), e.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo parseEntry(String source, String name, JsonNode node, long dataSize) {
        String where = source + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new SafetensorsException(where + " entry must be a JSON object, got " + node);
        }
        DType dtype = parseDType(where, require(where, node, "dtype"));
        long[] shape = parseShape(where, require(where, node, "shape"));
        JsonNode offsets = require(where, node, "data_offsets");
        if (!offsets.isArray() || offsets.size() != 2 || !isNonNegativeLong(offsets.get(0))
                || !isNonNegativeLong(offsets.get(1)) || offsets.get(0).longValue() > offsets.get(1).longValue()) {
            throw new SafetensorsException(where + " data_offsets " + offsets
                    + " must be [begin, end] with 0 <= begin <= end");
        }
        long begin = offsets.get(0).longValue();
        long end = offsets.get(1).longValue();
        String range = " data_offsets [" + begin + ", " + end + "]";
        if (end > dataSize) {
            throw new SafetensorsException(where + range + " end past the data section (" + dataSize + " bytes)");
        }
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        long expected;
        try {
            expected = Math.multiplyExact(info.numel(), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(where + " shape " + Arrays.toString(shape) + " is too large", e);
        }
        if (end - begin != expected) {
            throw new SafetensorsException(where + range + " span " + (end - begin) + " bytes but dtype " + dtype
                    + " with shape " + Arrays.toString(shape) + " needs " + expected + " bytes");
        }
        return info;
    }

    private static JsonNode require(String where, JsonNode entry, String key) {
        JsonNode value = entry.get(key);
        if (value == null) {
            throw new SafetensorsException(where + " is missing \"" + key + "\" (entry: " + entry + ")");
        }
        return value;
    }

    private static DType parseDType(String where, JsonNode node) {
        if (!node.isTextual()) {
            throw new SafetensorsException(where + " dtype must be a string, got " + node);
        }
        try {
            return DType.fromSafetensorsName(node.textValue());
        } catch (SafetensorsException e) {
            throw new SafetensorsException(where + ": " + e.getMessage(), e);
        }
    }

    private static long[] parseShape(String where, JsonNode node) {
        if (!node.isArray()) {
            throw new SafetensorsException(where + " shape must be an array of dimensions, got " + node);
        }
        long[] shape = new long[node.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode dim = node.get(i);
            if (!isNonNegativeLong(dim)) {
                throw new SafetensorsException(where + " shape " + node + " has dimension " + dim
                        + "; dimensions must be integers >= 0");
            }
            shape[i] = dim.longValue();
        }
        return shape;
    }

    private static boolean isNonNegativeLong(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0;
    }

    private static void checkNoOverlap(String source, Map<String, TensorInfo> tensors) {
        List<TensorInfo> byBegin = new ArrayList<>();
        for (TensorInfo t : tensors.values()) {
            if (t.end() > t.begin()) {
                byBegin.add(t);
            }
        }
        byBegin.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < byBegin.size(); i++) {
            TensorInfo prev = byBegin.get(i - 1);
            TensorInfo cur = byBegin.get(i);
            if (cur.begin() < prev.end()) {
                throw new SafetensorsException(source + ": tensors '" + prev.name() + "' [" + prev.begin() + ", "
                        + prev.end() + "] and '" + cur.name() + "' [" + cur.begin() + ", " + cur.end()
                        + "] overlap in the data section; each tensor needs its own byte range");
            }
        }
    }
}
