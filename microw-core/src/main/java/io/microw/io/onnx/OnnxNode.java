package io.microw.io.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One ONNX {@code NodeProto}: its name (exporters write the module path, e.g.
 * {@code /encoder/layer.0/attention/self/query/MatMul}), operator, input and output value names, and the
 * attributes microw reads: ints, floats, strings and tensors ({@code Constant}'s {@code value}).
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, Object> attributes) {

    static OnnxNode read(java.nio.file.Path file, ProtoReader r) {
        String name = "";
        String op = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, Object> attributes = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> inputs.add(r.string());
                case 2 -> outputs.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 5 -> readAttribute(file, r.message("AttributeProto"), attributes);
                case 7 -> domain = r.string();
                default -> r.skip();
            }
        }
        return new OnnxNode(name, op, domain, List.copyOf(inputs), List.copyOf(outputs), attributes);
    }

    private static void readAttribute(java.nio.file.Path file, ProtoReader r, Map<String, Object> into) {
        String name = null;
        Object value = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 2 -> {
                    r.expect(ProtoReader.FIXED32);
                    value = Float.intBitsToFloat(r.fixed32());
                }
                case 3 -> {
                    r.expect(ProtoReader.VARINT);
                    value = r.varint();
                }
                case 4 -> value = r.string();
                case 5 -> value = OnnxTensorProto.read(file, r.message("TensorProto of an attribute"));
                case 8 -> {
                    ProtoReader.LongList ints = new ProtoReader.LongList();
                    r.int64s(ints);
                    long[] prev = value instanceof long[] p ? p : new long[0];
                    long[] add = ints.toArray();
                    long[] all = java.util.Arrays.copyOf(prev, prev.length + add.length);
                    System.arraycopy(add, 0, all, prev.length, add.length);
                    value = all;
                }
                default -> r.skip();
            }
        }
        if (name != null && value != null) {
            into.put(name, value);
        }
    }

    /**
     * An int attribute ({@code transB} of Gemm), or {@code def} when absent.
     *
     * @param key the attribute name
     * @param def the value when the attribute is absent or not an int
     * @return the attribute's value or {@code def}
     */
    public long intAttribute(String key, long def) {
        return attributes.get(key) instanceof Long v ? v : def;
    }

    /**
     * A float attribute ({@code epsilon} of LayerNormalization).
     *
     * @param key the attribute name
     * @return its value, or empty when absent or not a float
     */
    public Optional<Float> floatAttribute(String key) {
        return attributes.get(key) instanceof Float v ? Optional.of(v) : Optional.empty();
    }

    /**
     * A string attribute ({@code approximate} of Gelu).
     *
     * @param key the attribute name
     * @return its value, or empty when absent or not a string
     */
    public Optional<String> stringAttribute(String key) {
        return attributes.get(key) instanceof String v ? Optional.of(v) : Optional.empty();
    }

    /**
     * A tensor attribute ({@code value} of Constant).
     *
     * @param key the attribute name
     * @return its value, or empty when absent or not a tensor
     */
    public Optional<OnnxTensorProto> tensorAttribute(String key) {
        return attributes.get(key) instanceof OnnxTensorProto v ? Optional.of(v) : Optional.empty();
    }
}
