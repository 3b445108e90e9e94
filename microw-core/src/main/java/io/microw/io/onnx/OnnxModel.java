package io.microw.io.onnx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An ONNX model read with a small protobuf wire-format reader (no generated ONNX classes): the graph's nodes in
 * order, its initializers by name, and the names of its inputs and outputs. Any truncated or malformed part is
 * an {@link OnnxException} naming the file and what is wrong. Models whose weights live in external data files
 * and files over 2 GiB are not supported.
 */
public final class OnnxModel {

    private final Path file;
    private final long irVersion;
    private final String producer;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensorProto> initializers;
    private final List<String> inputs;
    private final List<String> outputs;

    private OnnxModel(Path file, long irVersion, String producer, List<OnnxNode> nodes,
                      Map<String, OnnxTensorProto> initializers, List<String> inputs, List<String> outputs) {
        this.file = file;
        this.irVersion = irVersion;
        this.producer = producer;
        this.nodes = nodes;
        this.initializers = initializers;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /**
     * Reads {@code file} whole (a {@code ModelProto}).
     *
     * @param file the {@code .onnx} file
     * @return the parsed model
     * @throws OnnxException when the file is missing, too large, or not a valid model
     */
    public static OnnxModel read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new OnnxException(file, "does not exist or is not a regular file");
        }
        byte[] data;
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) {
                throw new OnnxException(file, "is " + size + " bytes; files over 2 GiB (models that keep weights as "
                        + "external data) are not supported");
            }
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new OnnxException(file, "cannot be read: " + e.getMessage(), e);
        }
        if (data.length == 0) {
            throw new OnnxException(file, "is empty; expected an ONNX ModelProto");
        }
        ProtoReader r = new ProtoReader(file, data, 0, data.length, "ModelProto");
        long irVersion = -1;
        String producer = "";
        ProtoReader graph = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> {
                    r.expect(ProtoReader.VARINT);
                    irVersion = r.varint();
                }
                case 2 -> producer = r.string();
                case 7 -> graph = r.message("GraphProto");
                default -> r.skip();
            }
        }
        if (graph == null) {
            throw new OnnxException(file, "has no graph (ModelProto field 7); it is not an ONNX model or it is "
                    + "truncated");
        }
        if (irVersion < 0) {
            throw new OnnxException(file, "has no ir_version (ModelProto field 1); it is not an ONNX model");
        }
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensorProto> initializers = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        while (graph.next()) {
            switch (graph.field()) {
                case 1 -> nodes.add(OnnxNode.read(file, graph.message("NodeProto")));
                case 5 -> {
                    OnnxTensorProto t = OnnxTensorProto.read(file, graph.message("TensorProto (initializer)"));
                    initializers.put(t.name(), t);
                }
                case 11 -> inputs.add(valueName(graph.message("ValueInfoProto")));
                case 12 -> outputs.add(valueName(graph.message("ValueInfoProto")));
                default -> graph.skip();
            }
        }
        if (nodes.isEmpty()) {
            throw new OnnxException(file, "its graph has no nodes");
        }
        return new OnnxModel(file, irVersion, producer, List.copyOf(nodes), Collections.unmodifiableMap(initializers),
                List.copyOf(inputs), List.copyOf(outputs));
    }

    private static String valueName(ProtoReader r) {
        String name = "";
        while (r.next()) {
            if (r.field() == 1) {
                name = r.string();
            } else {
                r.skip();
            }
        }
        return name;
    }

    /**
     * The file this model was read from.
     *
     * @return its path
     */
    public Path file() {
        return file;
    }

    /**
     * The ONNX IR version ({@code ir_version}) the file declares.
     *
     * @return the IR version
     */
    public long irVersion() {
        return irVersion;
    }

    /**
     * {@code producer_name}, e.g. {@code pytorch}.
     *
     * @return the producer name, empty when the file has none
     */
    public String producer() {
        return producer;
    }

    /**
     * The graph's nodes in file (topological) order.
     *
     * @return the nodes, unmodifiable
     */
    public List<OnnxNode> nodes() {
        return nodes;
    }

    /**
     * Initializers (weights and constants) by name, in file order.
     *
     * @return the initializers, unmodifiable
     */
    public Map<String, OnnxTensorProto> initializers() {
        return initializers;
    }

    /**
     * Names of the graph's inputs (initializers listed as inputs by old exporters included).
     *
     * @return the input names, in file order
     */
    public List<String> inputs() {
        return inputs;
    }

    /**
     * Names of the graph's outputs.
     *
     * @return the output names, in file order
     */
    public List<String> outputs() {
        return outputs;
    }

    /**
     * The nodes that read the value {@code name}.
     *
     * @param name a value name
     * @return those nodes in file order, empty when none reads it
     */
    public List<OnnxNode> consumers(String name) {
        List<OnnxNode> out = new ArrayList<>();
        for (OnnxNode n : nodes) {
            if (n.inputs().contains(name)) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * The node producing the value {@code name}, if a node does.
     *
     * @param name a value name
     * @return the first node listing {@code name} as an output, or empty (a graph input or initializer)
     */
    public Optional<OnnxNode> producerOf(String name) {
        for (OnnxNode n : nodes) {
            if (n.outputs().contains(name)) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /**
     * A constant value: an initializer or the output of a {@code Constant} node.
     *
     * @param name a value name
     * @return the initializer of that name, else the {@code value} of the {@code Constant} node producing it, else empty
     */
    public Optional<OnnxTensorProto> constant(String name) {
        OnnxTensorProto t = initializers.get(name);
        if (t != null) {
            return Optional.of(t);
        }
        return producerOf(name).filter(n -> n.opType().equals("Constant")).flatMap(n -> n.tensorAttribute("value"));
    }
}
