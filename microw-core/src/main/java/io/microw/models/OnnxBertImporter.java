package io.microw.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.MicrowException;
import io.microw.io.JsonMapper;
import io.microw.io.SafetensorsWriter;
import io.microw.io.onnx.OnnxException;
import io.microw.io.onnx.OnnxModel;
import io.microw.io.onnx.OnnxNode;
import io.microw.io.onnx.OnnxTensorProto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a BERT encoder exported to ONNX (as sentence-transformers models such as all-MiniLM-L6-v2 are shipped)
 * into a microw model directory ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}) that
 * {@code LanguageModel.load} opens as {@code BertModel} ({@code LanguageModel.fromOnnxBert} converts and loads in
 * one step).
 *
 * <p>Weights are found by following the graph, not by trusting names: a weight read as the second input of a
 * {@code MatMul} is stored [in, out] and is transposed to Hugging Face's [out, in]; an anonymous one
 * ({@code onnx::MatMul_787}) is named after the module whose bias is added to the MatMul's output, or else after
 * the node's name ({@code /encoder/layer.0/attention/self/query/MatMul}). The config comes from the weights'
 * shapes (vocabulary, hidden size, layers, intermediate size, positions, token types) and from the graph (heads
 * from the attention scale, the LayerNorm epsilon, the activation).
 */
public final class OnnxBertImporter {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxBertImporter.class);
    private static final Pattern HF_NAME = Pattern.compile("^(?:bert\\.)?((?:embeddings|encoder|pooler)\\..+)$");
    private static final Pattern NODE_PATH = Pattern.compile("^/?(?:bert/)?(.+)/(?:MatMul|Gemm)(?:_\\d+)?$");
    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final String[] LAYER_PARAMS = {
        "attention.self.query.weight", "attention.self.query.bias",
        "attention.self.key.weight", "attention.self.key.bias",
        "attention.self.value.weight", "attention.self.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
        "intermediate.dense.weight", "intermediate.dense.bias",
        "output.dense.weight", "output.dense.bias",
        "output.LayerNorm.weight", "output.LayerNorm.bias"};

    private OnnxBertImporter() {
    }

    /** A weight under its Hugging Face name: row-major values and shape, [out, in] for linear layers. */
    public record Weight(long[] shape, float[] values) {
    }

    /** The outcome of reading an ONNX BERT: its Hugging Face config and weights. */
    public record Imported(ObjectNode config, Map<String, Weight> weights) {
    }

    /**
     * Converts {@code onnx} (and {@code tokenizerJson}, may be null) into a model directory; returns it.
     *
     * @param onnx          the BERT {@code .onnx} file
     * @param tokenizerJson the model's {@code tokenizer.json}, or {@code null} for none
     * @param outDir        the directory to write; created if missing
     * @return {@code outDir}
     */
    public static Path convert(Path onnx, Path tokenizerJson, Path outDir) {
        return convert(onnx, tokenizerJson, outDir, 0);
    }

    /**
     * As {@link #convert(Path, Path, Path)}, with the number of attention heads given ({@code numHeads > 0}) for a
     * graph it cannot be read from.
     *
     * @param onnx          the BERT {@code .onnx} file
     * @param tokenizerJson the model's {@code tokenizer.json}, or {@code null} for none
     * @param outDir        the directory to write; created if missing
     * @param numHeads      the number of attention heads, or 0 to read it from the graph
     * @return {@code outDir}
     */
    public static Path convert(Path onnx, Path tokenizerJson, Path outDir, int numHeads) {
        Imported imported = read(OnnxModel.read(onnx), numHeads);
        if (tokenizerJson != null && !Files.isRegularFile(tokenizerJson)) {
            throw new MicrowException("tokenizer file " + tokenizerJson + " does not exist or is not a regular file");
        }
        ObjectMapper mapper = JsonMapper.mapper();
        try {
            Files.createDirectories(outDir);
            if (tokenizerJson != null) {
                JsonNode tokenizer = mapper.readTree(tokenizerJson.toFile());
                imported.config().put("pad_token_id", tokenizer.path("padding").path("pad_id").asInt(0));
                Files.copy(tokenizerJson, outDir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
                JsonMapper.pretty().writeValue(outDir.resolve("tokenizer_config.json").toFile(),
                        tokenizerConfig(tokenizer, mapper));
            }
            SafetensorsWriter writer = new SafetensorsWriter();
            imported.weights().forEach((name, w) -> writer.putFloats(name, w.shape(), w.values()));
            writer.metadata("format", "pt");
            writer.metadata("converted_from", onnx.getFileName().toString());
            writer.write(outDir.resolve("model.safetensors"));
            JsonMapper.pretty().writeValue(outDir.resolve("config.json").toFile(), imported.config());
        } catch (IOException e) {
            throw new MicrowException("cannot write the converted model to " + outDir + ": " + e.getMessage(), e);
        }
        return outDir;
    }

    /** The special tokens {@link io.microw.tokenizer.Tokenizer} reads, taken from tokenizer.json itself. */
    private static ObjectNode tokenizerConfig(JsonNode tokenizer, ObjectMapper mapper) {
        ObjectNode config = mapper.createObjectNode();
        String pad = tokenizer.path("padding").path("pad_token").asText(null);
        String unk = tokenizer.path("model").path("unk_token").asText(null);
        List<String> added = new ArrayList<>();
        tokenizer.path("added_tokens").forEach(t -> added.add(t.path("content").asText()));
        if (pad != null && added.contains(pad)) {
            config.put("pad_token", pad);
        }
        if (unk != null && added.contains(unk)) {
            config.put("unk_token", unk);
        }
        for (String[] special : new String[][] {{"cls_token", "[CLS]"}, {"sep_token", "[SEP]"}, {"mask_token", "[MASK]"}}) {
            if (added.contains(special[1])) {
                config.put(special[0], special[1]);
            }
        }
        return config;
    }

    /**
     * Maps the graph's weights onto BERT's Hugging Face names and derives the config.
     *
     * @param model    the parsed ONNX graph
     * @param numHeads the number of attention heads, or 0 to read it from the graph
     * @return the config and the weights under their Hugging Face names
     */
    public static Imported read(OnnxModel model, int numHeads) {
        Path file = model.file();
        Map<String, Weight> weights = mapWeights(model);
        Weight words = require(weights, file, "embeddings.word_embeddings.weight", 2);
        int vocab = (int) words.shape()[0];
        int hidden = (int) words.shape()[1];
        int positions = (int) require(weights, file, "embeddings.position_embeddings.weight", 2).shape()[0];
        int types = (int) require(weights, file, "embeddings.token_type_embeddings.weight", 2).shape()[0];
        int layers = 1 + weights.keySet().stream().map(LAYER::matcher).filter(Matcher::find)
                .mapToInt(m -> Integer.parseInt(m.group(1))).max()
                .orElseThrow(() -> new OnnxException(file, "has no encoder.layer.<i> weights; mapped: "
                        + weights.keySet()));
        int intermediate = (int) require(weights, file, "encoder.layer.0.intermediate.dense.weight", 2).shape()[0];

        Map<String, long[]> expected = new LinkedHashMap<>();
        expected.put("embeddings.word_embeddings.weight", new long[] {vocab, hidden});
        expected.put("embeddings.position_embeddings.weight", new long[] {positions, hidden});
        expected.put("embeddings.token_type_embeddings.weight", new long[] {types, hidden});
        expected.put("embeddings.LayerNorm.weight", new long[] {hidden});
        expected.put("embeddings.LayerNorm.bias", new long[] {hidden});
        for (int i = 0; i < layers; i++) {
            for (String p : LAYER_PARAMS) {
                String name = "encoder.layer." + i + "." + p;
                boolean intermediateIn = p.startsWith("output.dense.weight");
                boolean intermediateOut = p.startsWith("intermediate.dense");
                long out = intermediateOut ? intermediate : hidden;
                expected.put(name, p.endsWith("weight") && !p.contains("LayerNorm")
                        ? new long[] {out, intermediateIn ? intermediate : hidden} : new long[] {out});
            }
        }
        if (weights.containsKey("pooler.dense.weight") || weights.containsKey("pooler.dense.bias")) {
            expected.put("pooler.dense.weight", new long[] {hidden, hidden});
            expected.put("pooler.dense.bias", new long[] {hidden});
        }
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Weight w = weights.get(e.getKey());
            if (w == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(w.shape(), e.getValue())) {
                throw new OnnxException(file, "weight " + e.getKey() + " has shape " + Arrays.toString(w.shape())
                        + " but the other weights imply " + Arrays.toString(e.getValue()));
            }
        }
        if (!missing.isEmpty()) {
            throw new OnnxException(file, "no weight found for " + missing.size() + " BERT parameter(s): "
                    + (missing.size() > 6 ? missing.subList(0, 6) + "..." : missing) + "; mapped from the graph: "
                    + weights.keySet());
        }
        Map<String, Weight> ordered = new LinkedHashMap<>();
        expected.keySet().forEach(k -> ordered.put(k, weights.get(k)));
        List<String> extra = weights.keySet().stream().filter(k -> !expected.containsKey(k)).toList();
        if (!extra.isEmpty()) {
            LOG.info("{}: {} weights are not part of BertModel and are left out: {}", file, extra.size(), extra);
        }

        int heads = numHeads > 0 ? numHeads : heads(model, hidden);
        if (hidden % heads != 0) {
            throw new OnnxException(file, "hidden size " + hidden + " is not divisible by " + heads + " heads");
        }
        ObjectNode config = JsonMapper.mapper().createObjectNode();
        config.putArray("architectures").add("BertModel");
        config.put("model_type", "bert");
        config.put("vocab_size", vocab);
        config.put("hidden_size", hidden);
        config.put("num_hidden_layers", layers);
        config.put("num_attention_heads", heads);
        config.put("intermediate_size", intermediate);
        config.put("max_position_embeddings", positions);
        config.put("type_vocab_size", types);
        config.put("layer_norm_eps", layerNormEps(model));
        config.put("hidden_act", activation(model));
        config.put("position_embedding_type", "absolute");
        config.put("pad_token_id", 0);
        config.put("initializer_range", 0.02);
        config.put("converted_from", file.getFileName().toString());
        return new Imported(config, ordered);
    }

    /** Every floating-point initializer that belongs to a BERT module, under its HF name and in HF layout. */
    static Map<String, Weight> mapWeights(OnnxModel model) {
        Path file = model.file();
        Map<String, Weight> weights = new TreeMap<>();
        Map<String, String> source = new LinkedHashMap<>();
        for (OnnxTensorProto t : model.initializers().values()) {
            if (!t.isFloatingPoint()) {
                continue;
            }
            List<OnnxNode> consumers = model.consumers(t.name());
            List<OnnxNode> asMatrix = consumers.stream().filter(n -> isMatMulWeight(n, t.name())).toList();
            boolean transposed = !asMatrix.isEmpty() && asMatrix.stream().allMatch(n -> n.opType().equals("MatMul")
                    || n.intAttribute("transB", 0) == 0);
            List<String> names = new ArrayList<>();
            Matcher m = HF_NAME.matcher(t.name());
            if (m.matches()) {
                names.add(m.group(1).replaceAll("\\.LayerNorm\\.gamma$", ".LayerNorm.weight")
                        .replaceAll("\\.LayerNorm\\.beta$", ".LayerNorm.bias"));
            } else {
                for (OnnxNode n : asMatrix) {
                    moduleOf(model, n).ifPresent(module -> names.add(module + ".weight"));
                }
                if (names.isEmpty()) {
                    if (!asMatrix.isEmpty()) {
                        throw new OnnxException(file, "initializer '" + t.name() + "' " + Arrays.toString(t.dims())
                                + " is the weight of node '" + asMatrix.get(0).name() + "' ("
                                + asMatrix.get(0).opType() + ") but no module could be found for it: neither its "
                                + "output gets a named bias added nor the node's name is a module path");
                    }
                    continue; // a constant of the graph (a scale, a shape), not a parameter
                }
            }
            long[] dims = t.dims();
            float[] values = t.floats();
            if (transposed) {
                if (dims.length != 2) {
                    throw new OnnxException(file, "initializer '" + t.name() + "' is a MatMul weight of rank "
                            + dims.length + "; expected a matrix [in, out]");
                }
                values = transpose(values, (int) dims[0], (int) dims[1]);
                dims = new long[] {dims[1], dims[0]};
            }
            for (String name : names) {
                String previous = source.put(name, t.name());
                if (previous != null) {
                    throw new OnnxException(file, "both initializers '" + previous + "' and '" + t.name()
                            + "' map to " + name);
                }
                weights.put(name, new Weight(dims, values));
            }
        }
        return weights;
    }

    private static boolean isMatMulWeight(OnnxNode n, String name) {
        return (n.opType().equals("MatMul") || n.opType().equals("Gemm")) && n.inputs().size() > 1
                && n.inputs().get(1).equals(name);
    }

    /** The HF module a MatMul/Gemm belongs to: from the bias added to its output, or from the node's name. */
    private static Optional<String> moduleOf(OnnxModel model, OnnxNode node) {
        List<String> biases = new ArrayList<>();
        if (node.opType().equals("Gemm") && node.inputs().size() > 2) {
            biases.add(node.inputs().get(2));
        }
        for (OnnxNode add : model.consumers(node.outputs().get(0))) {
            if (add.opType().equals("Add")) {
                biases.addAll(add.inputs());
            }
        }
        for (String b : biases) {
            Matcher m = HF_NAME.matcher(b);
            if (m.matches() && b.endsWith(".bias") && model.initializers().containsKey(b)) {
                return Optional.of(m.group(1).substring(0, m.group(1).length() - ".bias".length()));
            }
        }
        Matcher path = NODE_PATH.matcher(node.name());
        if (path.matches()) {
            String module = path.group(1).replace('/', '.');
            if (HF_NAME.matcher(module).matches()) {
                return Optional.of(module);
            }
        }
        return Optional.empty();
    }

    /**
     * Heads from the first attention's score scaling: scores = q kᵀ / c (c = √headDim), q kᵀ · s (s = 1/√headDim),
     * or q and k each scaled by headDim^-¼ before the product.
     */
    private static int heads(OnnxModel model, int hidden) {
        for (OnnxNode mm : model.nodes()) {
            if (!mm.opType().equals("MatMul") || mm.inputs().size() != 2
                    || mm.inputs().stream().anyMatch(i -> model.constant(i).isPresent())) {
                continue;
            }
            Double headDim = null;
            for (OnnxNode next : model.consumers(mm.outputs().get(0))) {
                Optional<Float> c = scalarOperand(model, next, mm.outputs().get(0));
                if (c.isPresent() && next.opType().equals("Div")) {
                    headDim = (double) c.get() * c.get();
                } else if (c.isPresent() && next.opType().equals("Mul")) {
                    headDim = 1.0 / ((double) c.get() * c.get());
                }
            }
            if (headDim == null) {
                Optional<OnnxNode> producer = model.producerOf(mm.inputs().get(0));
                while (producer.isPresent() && producer.get().opType().equals("Transpose")) {
                    producer = model.producerOf(producer.get().inputs().get(0));
                }
                if (producer.isPresent() && producer.get().opType().equals("Mul")) {
                    OnnxNode mul = producer.get();
                    Optional<Float> s = mul.inputs().stream().map(model::constant).flatMap(Optional::stream)
                            .filter(t -> t.elementCount() == 1 && t.isFloatingPoint()).map(t -> t.floats()[0])
                            .findFirst();
                    if (s.isPresent()) {
                        headDim = Math.pow(s.get(), -4);
                    }
                }
            }
            if (headDim != null) {
                long d = Math.round(headDim);
                if (d > 0 && Math.abs(headDim - d) < 1e-2 * d && hidden % d == 0) {
                    return (int) (hidden / d);
                }
            }
        }
        throw new OnnxException(model.file(), "cannot work out the number of attention heads from the graph (no "
                + "attention score scaling by a constant was found); give it to convert(..., numHeads)");
    }

    private static Optional<Float> scalarOperand(OnnxModel model, OnnxNode node, String other) {
        if (node.inputs().size() != 2 || !node.inputs().get(0).equals(other)) {
            return Optional.empty();
        }
        return model.constant(node.inputs().get(1)).filter(t -> t.elementCount() == 1 && t.isFloatingPoint())
                .map(t -> t.floats()[0]);
    }

    /** LayerNormalization's epsilon, or the scalar added to the variance before Sqrt in a decomposed LayerNorm. */
    private static double layerNormEps(OnnxModel model) {
        for (OnnxNode n : model.nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                return n.floatAttribute("epsilon").orElse(1e-5f);
            }
            if (n.opType().equals("Add") && n.outputs().size() == 1 && model.consumers(n.outputs().get(0)).stream()
                    .anyMatch(c -> c.opType().equals("Sqrt"))) {
                for (String in : n.inputs()) {
                    Optional<OnnxTensorProto> c = model.constant(in).filter(t -> t.elementCount() == 1
                            && t.isFloatingPoint());
                    if (c.isPresent()) {
                        return c.get().floats()[0];
                    }
                }
            }
        }
        LOG.warn("{}: no LayerNorm epsilon found in the graph; using BERT's 1e-12", model.file());
        return 1e-12;
    }

    /** The feed-forward activation, from the operators under the intermediate modules (or the whole graph). */
    private static String activation(OnnxModel model) {
        List<OnnxNode> scope = model.nodes().stream().filter(n -> n.name().contains("intermediate")).toList();
        if (scope.isEmpty()) {
            scope = model.nodes();
        }
        for (OnnxNode n : scope) {
            switch (n.opType()) {
                case "Erf":
                    return "gelu";
                case "Gelu":
                    return n.stringAttribute("approximate").orElse("none").equals("tanh") ? "gelu_new" : "gelu";
                case "FastGelu":
                case "Tanh":
                    return "gelu_new";
                case "Relu":
                    return "relu";
                default:
                    break;
            }
        }
        LOG.warn("{}: no activation recognised in the graph; using gelu", model.file());
        return "gelu";
    }

    private static Weight require(Map<String, Weight> weights, Path file, String name, int rank) {
        Weight w = weights.get(name);
        if (w == null) {
            throw new OnnxException(file, "no weight found for " + name + "; is it a BERT encoder? mapped from the "
                    + "graph: " + (weights.isEmpty() ? "nothing" : weights.keySet()));
        }
        if (w.shape().length != rank) {
            throw new OnnxException(file, "weight " + name + " has shape " + Arrays.toString(w.shape())
                    + "; expected rank " + rank);
        }
        return w;
    }

    private static float[] transpose(float[] v, int rows, int cols) {
        float[] out = new float[v.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = v[r * cols + c];
            }
        }
        return out;
    }
}
