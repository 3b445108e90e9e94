package io.microw.sae;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.io.DType;
import io.microw.io.JsonMapper;
import io.microw.io.SafetensorsException;
import io.microw.io.SafetensorsFile;
import io.microw.io.SafetensorsWriter;
import io.microw.io.TensorInfo;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads and writes SAEs in SAELens' folder layout, so SAEs trained here open in SAELens
 * ({@code SAE.load_from_disk}) and published SAELens SAEs open here:
 * <pre>
 *   cfg.json                   architecture, d_in, d_sae, k, apply_b_dec_to_input,
 *                              metadata {model_name, hook_name, ...}
 *   sae_weights.safetensors    W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in],
 *                              threshold [d_sae] (jumprelu), b_gate, b_mag, r_mag [d_sae] (gated; no b_enc)
 *   sparsity.safetensors       optional: "sparsity" [d_sae], log10 of each latent's firing frequency
 * </pre>
 *
 * <p>Reading accepts the current (SAELens 6) layout, with run-time facts at the top and provenance under
 * {@code "metadata"} (or the 6.0 release candidates' {@code "meta"}), and the older flat layout (everything at the
 * top, {@code hook_point} for {@code hook_name}, no {@code architecture} meaning "standard",
 * {@code activation_fn_str}/{@code activation_fn} "topk" with {@code activation_fn_kwargs.k} meaning a TopK SAE).
 * Weights may be F32, F16, BF16 or F64; they become float32. Transformations SAELens applies at run time that
 * can be folded exactly into the weights are folded on load: {@code finetuning_scaling_factor} (into
 * {@code W_dec}) and {@code rescale_acts_by_decoder_norm} (into {@code W_enc}, {@code b_enc}, {@code W_dec}).
 * Run-time input normalisations that cannot ({@code constant_norm_rescale}, {@code layer_norm}) are refused.
 * Other files in the folder (microw's {@code history.json}, for instance) are ignored.
 *
 * <p>Writing produces the current layout in float32. A {@link BatchTopKSae} is written as a "jumprelu" SAE with
 * its threshold, as SAELens does. An SAE with an input scale other than 1 is written with the scale folded into
 * the weights ({@code normalize_activations: "none"}); the SAE passed in is not changed. Metadata entries of the
 * {@link SaeConfig} are written under {@code "metadata"}, except {@code normalize_activations} and
 * {@code reshape_activations}, which go to the top (where reading found them). Files are written to temporary
 * names and renamed, so a crash never leaves a half-written file; a new folder appears complete or not at all.
 */
public final class SaeLensFormat {

    /** SAELens' config file name. */
    public static final String CONFIG_FILE = "cfg.json";
    /** SAELens' weights file name. */
    public static final String WEIGHTS_FILE = "sae_weights.safetensors";
    /** SAELens' feature sparsity file name. */
    public static final String SPARSITY_FILE = "sparsity.safetensors";
    /** The tensor in {@link #SPARSITY_FILE}. */
    public static final String SPARSITY_TENSOR = "sparsity";
    /** The SAELens version written when the config carries none of 6.0 or later (marks the current layout). */
    public static final String WRITTEN_SAE_LENS_VERSION = "6.0.0";

    static final String NORMALIZE_ACTIVATIONS = "normalize_activations";
    static final String RESHAPE_ACTIVATIONS = "reshape_activations";

    /** Keys of SAELens' metadata object; in the flat layout they sit at the top of cfg.json. */
    private static final Set<String> METADATA_KEYS = Set.of("model_name", "hook_name", "model_class_name",
            "hook_layer", "hook_head_index", "model_from_pretrained_kwargs", "prepend_bos", "exclude_special_tokens",
            "neuronpedia_id", "context_size", "seqpos_slice", "dataset_path", "sae_lens_version",
            "sae_lens_training_version");
    private static final Map<String, String> OLD_NAMES = Map.of(
            "hook_point", "hook_name",
            "hook_point_layer", "hook_layer",
            "hook_point_head_index", "hook_head_index");

    private static final ObjectMapper MAPPER = JsonMapper.mapper();

    private static final ObjectWriter PRETTY = JsonMapper.pretty();

    /** This layout as a {@link SaeFormat}: a folder holding cfg.json and sae_weights.safetensors. */
    public static final SaeFormat FORMAT = new SaeFormat() {
        @Override
        public String name() {
            return "SAELens";
        }

        @Override
        public String looksFor() {
            return "a folder with " + CONFIG_FILE + " and " + WEIGHTS_FILE;
        }

        /** cfg.json without sparsify's sae.safetensors beside it, so SAELens' own errors name a missing file. */
        @Override
        public boolean detects(Path path) {
            return Files.isRegularFile(path.resolve(CONFIG_FILE)) && (Files.isRegularFile(path.resolve(WEIGHTS_FILE))
                    || !Files.exists(path.resolve(SparsifyFormat.WEIGHTS_FILE)));
        }

        @Override
        public Sae load(Path path) {
            return read(path);
        }
    };

    private SaeLensFormat() {
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Loads the SAE in {@code dir} (cfg.json + sae_weights.safetensors); every problem is a {@link SaeException}.
     *
     * @param dir the SAE's folder
     * @return the SAE
     */
    public static Sae read(Path dir) {
        Path weightsFile = requireDir(dir).resolve(WEIGHTS_FILE);
        Parsed parsed = parseConfig(dir);
        if (!Files.isRegularFile(weightsFile)) {
            throw new SaeException("no " + WEIGHTS_FILE + " in " + dir + " (found " + listing(dir)
                    + "); a SAELens SAE folder holds " + CONFIG_FILE + " and " + WEIGHTS_FILE);
        }
        Map<String, float[]> values;
        try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
            values = readParameters(file, parsed);
        } catch (SafetensorsException e) {
            throw new SaeException("cannot read SAE weights " + weightsFile + ": " + e.getMessage(), e);
        }
        try {
            return Sae.fromParameters(parsed.config, values);
        } catch (SaeException e) {
            throw new SaeException(weightsFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * The config in {@code dir}/cfg.json, as {@link #read} interprets it (weights are not opened).
     *
     * @param dir the SAE's folder
     * @return the config
     */
    public static SaeConfig readConfig(Path dir) {
        requireDir(dir);
        return parseConfig(dir).config;
    }

    /**
     * The log10 feature densities in {@code dir}/sparsity.safetensors (tensor "sparsity", one value per latent),
     * or empty when the folder has no such file.
     *
     * @param dir the SAE's folder
     * @return the densities, or empty
     */
    public static Optional<float[]> readSparsity(Path dir) {
        Path file = requireDir(dir).resolve(SPARSITY_FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (!f.contains(SPARSITY_TENSOR)) {
                throw new SaeException(file + ": no tensor '" + SPARSITY_TENSOR + "' (has " + f.names()
                        + "); SAELens stores log10 feature densities under that name");
            }
            TensorInfo info = f.info(SPARSITY_TENSOR);
            long[] shape = info.shape();
            if (shape.length != 1 && !(shape.length == 2 && shape[0] == 1)) {
                throw new SaeException(file + ": tensor '" + SPARSITY_TENSOR + "' has shape " + Arrays.toString(shape)
                        + ", expected [d_sae]");
            }
            requireFloating(file, info);
            return Optional.of(f.readFloats(SPARSITY_TENSOR));
        } catch (SafetensorsException e) {
            throw new SaeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Writes {@code sae} to {@code dir} in SAELens' current layout (creating the folder and its parents if needed).
     * Existing cfg.json and sae_weights.safetensors are replaced; other files in the folder are left alone.
     *
     * @param sae the SAE
     * @param dir the folder to write
     */
    public static void write(Sae sae, Path dir) {
        SaeConfig cfg = sae.config();
        SaeArchitecture arch = cfg.architecture().savedAs();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (String name : sae.parameterNames()) {
            values.put(name, sae.parameter(name));
        }
        float s = sae.inputScale();
        if (s != 1f) {
            // The function on unscaled inputs: (x - b_dec/s)(W_enc s) = (x s - b_dec) W_enc, decode divided by s.
            multiply(values.get("W_enc"), s);
            divide(values.get("W_dec"), s);
            divide(values.get("b_dec"), s);
        }
        SafetensorsWriter weights = new SafetensorsWriter();
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            weights.putFloats(e.getKey(), sae.parameterShape(e.getKey()), e.getValue());
        }
        byte[] json = configJson(cfg, arch, s != 1f);
        writeFolder(dir, weights, json);
    }

    /**
     * Writes log10 feature densities as {@code dir}/sparsity.safetensors (tensor "sparsity"), atomically.
     *
     * @param dir the SAE's folder
     * @param log10Density one value per latent
     */
    public static void writeSparsity(Path dir, float[] log10Density) {
        requireDir(dir);
        new SafetensorsWriter().putFloats(SPARSITY_TENSOR, new long[] {log10Density.length}, log10Density)
                .write(dir.resolve(SPARSITY_FILE));
    }

    /** The cfg.json text {@link #write} produces for a config (current layout). */
    static byte[] configJson(SaeConfig cfg, SaeArchitecture arch, boolean folded) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("architecture", arch.saeLensName());
        root.put("d_in", cfg.dIn());
        root.put("d_sae", cfg.dSae());
        root.put("dtype", "float32");
        root.put("device", "cpu");
        root.put("apply_b_dec_to_input", cfg.applyBDecToInput());
        Object normalize = cfg.metadata().get(NORMALIZE_ACTIVATIONS);
        root.put(NORMALIZE_ACTIVATIONS, folded || !(normalize instanceof String) ? "none" : (String) normalize);
        Object reshape = cfg.metadata().get(RESHAPE_ACTIVATIONS);
        root.put(RESHAPE_ACTIVATIONS, reshape instanceof String r ? r : "none");
        if (arch.usesK()) {
            root.put("k", cfg.k());
        }
        ObjectNode meta = root.putObject("metadata");
        if (cfg.modelName().isEmpty()) {
            meta.putNull("model_name");
        } else {
            meta.put("model_name", cfg.modelName());
        }
        if (cfg.hookName().isEmpty()) {
            meta.putNull("hook_name");
        } else {
            meta.put("hook_name", cfg.hookName());
        }
        // SaeConfig's metadata map has no stable order; sorted keys make the file deterministic.
        for (Map.Entry<String, Object> e : new TreeMap<>(cfg.metadata()).entrySet()) {
            String key = e.getKey();
            if (!key.equals(NORMALIZE_ACTIVATIONS) && !key.equals(RESHAPE_ACTIVATIONS)
                    && !key.equals("model_name") && !key.equals("hook_name")) {
                meta.set(key, MAPPER.valueToTree(e.getValue()));
            }
        }
        Object version = cfg.metadata().get("sae_lens_version");
        if (!(version instanceof String v) || majorVersion(v) < 6) {
            meta.put("sae_lens_version", WRITTEN_SAE_LENS_VERSION);
        }
        try {
            return PRETTY.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new SaeException("cannot write cfg.json: a metadata value is not JSON-serialisable: "
                    + e.getOriginalMessage(), e);
        }
    }

    private static void writeFolder(Path dir, SafetensorsWriter weights, byte[] json) {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new SaeException("cannot save SAE to " + dir + ": it exists and is not a directory");
        }
        try {
            if (!Files.exists(target)) {
                // A new folder: built under a temporary name and renamed, so it appears complete or not at all.
                try {
                    if (AtomicFiles.publishDirectory(target, tmp -> {
                        weights.write(tmp.resolve(WEIGHTS_FILE));
                        Files.write(tmp.resolve(CONFIG_FILE), json);
                    })) {
                        return;
                    }
                } catch (AtomicMoveNotSupportedException e) {
                    // the file system cannot rename folders: write file by file
                }
            }
            // An existing folder: each file is written under a temporary name and renamed over the old one;
            // the weights go first and cfg.json last, so the config never describes weights not yet in place.
            weights.write(target.resolve(WEIGHTS_FILE));
            AtomicFiles.writeBytes(target.resolve(CONFIG_FILE), json);
        } catch (IOException e) {
            throw new SaeException("cannot save SAE to " + dir + ": " + e, e);
        } catch (SafetensorsException e) {
            throw new SaeException("cannot save SAE to " + dir + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ parsing

    /** What cfg.json says, plus what must be done to the weights on load. */
    private record Parsed(Path cfgFile, SaeConfig config, boolean finetuningScalingFactor,
                          boolean rescaleByDecoderNorm) {
    }

    private static Parsed parseConfig(Path dir) {
        Path cfgFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(cfgFile)) {
            throw new SaeException("no " + CONFIG_FILE + " in " + dir + " (found " + listing(dir)
                    + "); a SAELens SAE folder holds " + CONFIG_FILE + " and " + WEIGHTS_FILE);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(cfgFile.toFile());
        } catch (JsonProcessingException e) {
            throw new SaeException(cfgFile + " is not valid JSON: " + describe(e), e);
        } catch (IOException e) {
            throw new SaeException("cannot read " + cfgFile + ": " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new SaeException(cfgFile + " must hold a JSON object, got "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        // Provenance: the metadata object (6.x: "metadata", 6.0 release candidates: "meta"), else the top level.
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = OLD_NAMES.getOrDefault(e.getKey(), e.getKey());
            if (METADATA_KEYS.contains(key)) {
                putValue(metadata, key, e.getValue());
            }
        }
        for (String metaKey : List.of("meta", "metadata")) {
            JsonNode meta = root.get(metaKey);
            if (meta == null || meta.isNull()) {
                continue;
            }
            if (!meta.isObject()) {
                throw new SaeException(cfgFile + ": key '" + metaKey + "' must be a JSON object, got " + meta);
            }
            meta.fields().forEachRemaining(e -> putValue(metadata, OLD_NAMES.getOrDefault(e.getKey(), e.getKey()),
                    e.getValue()));
        }
        String modelName = metadata.remove("model_name") instanceof String m ? m : "";
        String hookName = metadata.remove("hook_name") instanceof String h ? h : "";

        SaeArchitecture arch = architecture(cfgFile, root);
        int dIn = positiveInt(cfgFile, root, "d_in");
        int dSae = positiveInt(cfgFile, root, "d_sae");
        int k = 0;
        if (arch.usesK()) {
            k = readK(cfgFile, root, arch, dSae);
        }
        boolean applyBDec = bool(cfgFile, root, "apply_b_dec_to_input", true);
        boolean finetuning = bool(cfgFile, root, "finetuning_scaling_factor", false);
        boolean rescale = bool(cfgFile, root, "rescale_acts_by_decoder_norm", false);
        if (rescale && !arch.parameterShapes(SaeConfig.of(arch, dIn, dSae, k)).containsKey("b_enc")) {
            throw new SaeException(cfgFile + ": rescale_acts_by_decoder_norm=true is not supported for "
                    + arch.saeLensName() + " SAEs, which have no b_enc");
        }
        String normalize = normalizeActivations(cfgFile, root);
        if (!normalize.equals("none")) {
            metadata.put(NORMALIZE_ACTIVATIONS, normalize);
        }
        JsonNode reshape = root.get(RESHAPE_ACTIVATIONS);
        if (reshape != null && !reshape.isNull()) {
            if (!reshape.isTextual() || !(reshape.asText().equals("none") || reshape.asText().equals("hook_z"))) {
                throw new SaeException(cfgFile + ": key '" + RESHAPE_ACTIVATIONS + "' is " + reshape
                        + "; expected \"none\" or \"hook_z\"");
            }
            if (reshape.asText().equals("hook_z")) {
                // microw SAEs take [..., d_in]; the caller flattens heads (n_heads * d_head = d_in).
                metadata.put(RESHAPE_ACTIVATIONS, "hook_z");
            }
        }
        SaeConfig config = new SaeConfig(arch, dIn, dSae, k, applyBDec, modelName, hookName, metadata);
        return new Parsed(cfgFile, config, finetuning, rescale);
    }

    private static SaeArchitecture architecture(Path cfgFile, JsonNode root) {
        JsonNode node = root.get("architecture");
        String name = node == null || node.isNull() ? "standard" : node.isTextual() ? node.asText() : null;
        if (name == null) {
            throw new SaeException(cfgFile + ": key 'architecture' must be a string, got " + node);
        }
        SaeArchitecture arch;
        try {
            arch = SaeArchitecture.fromSaeLensName(name);
        } catch (SaeException e) {
            throw new SaeException(cfgFile + ": key 'architecture': " + e.getMessage(), e);
        }
        String activation = activationFn(root);
        if (arch == SaeArchitecture.STANDARD && activation != null) {
            // Before SAELens 6, a TopK SAE could be a "standard" one with activation_fn "topk".
            switch (activation) {
                case "relu" -> {
                }
                case "topk" -> arch = SaeArchitecture.TOPK;
                default -> throw new SaeException(cfgFile + ": activation function '" + activation
                        + "' is not supported; expected \"relu\" or \"topk\"");
            }
        }
        return arch;
    }

    private static String activationFn(JsonNode root) {
        for (String key : List.of("activation_fn", "activation_fn_str")) {
            JsonNode n = root.get(key);
            if (n != null && n.isTextual()) {
                return n.asText();
            }
        }
        return null;
    }

    private static int readK(Path cfgFile, JsonNode root, SaeArchitecture arch, int dSae) {
        JsonNode node = root.get("k");
        String where = "k";
        if (node == null || node.isNull()) {
            JsonNode kwargs = root.get("activation_fn_kwargs");
            if (kwargs != null && kwargs.isObject() && kwargs.get("k") != null) {
                node = kwargs.get("k");
                where = "activation_fn_kwargs.k";
            }
        }
        if (node == null || node.isNull()) {
            throw new SaeException(cfgFile + ": a " + arch.saeLensName() + " SAE needs key 'k' (latents kept per row,"
                    + " 1.." + (dSae - 1) + ") but it is missing");
        }
        int k;
        if (node.isIntegralNumber() && node.canConvertToInt()) {
            k = node.intValue();
        } else if (arch.acceptsFractionalK() && node.isNumber() && node.doubleValue() >= 1
                && node.doubleValue() < dSae) {
            k = (int) Math.round(node.doubleValue()); // SAELens allows a fractional average k for BatchTopK
        } else {
            throw new SaeException(cfgFile + ": key '" + where + "' is " + node + "; expected an integer in 1.."
                    + (dSae - 1) + " (fewer than d_sae=" + dSae + ")");
        }
        if (k <= 0 || k >= dSae) {
            throw new SaeException(cfgFile + ": key '" + where + "' is " + k + "; expected an integer in 1.."
                    + (dSae - 1) + " (fewer than d_sae=" + dSae + ")");
        }
        return k;
    }

    private static String normalizeActivations(Path cfgFile, JsonNode root) {
        JsonNode node = root.get(NORMALIZE_ACTIVATIONS);
        if (node == null || node.isNull()) {
            return "none";
        }
        if (node.isBoolean()) {
            // before SAELens 6: true meant the April-update scaling, which is folded into the weights for inference
            return node.booleanValue() ? "expected_average_only_in" : "none";
        }
        String value = node.isTextual() ? node.asText() : "";
        return switch (value) {
            case "none", "expected_average_only_in" -> value;
            case "constant_norm_rescale", "layer_norm" -> throw new SaeException(cfgFile + ": key '"
                    + NORMALIZE_ACTIVATIONS + "' is \"" + value + "\", a per-input run-time normalisation microw SAEs"
                    + " do not apply; supported: \"none\", \"expected_average_only_in\" (already folded)");
            default -> throw new SaeException(cfgFile + ": key '" + NORMALIZE_ACTIVATIONS + "' is " + node
                    + "; expected one of \"none\", \"expected_average_only_in\", \"constant_norm_rescale\","
                    + " \"layer_norm\"");
        };
    }

    private static int positiveInt(Path cfgFile, JsonNode root, String key) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            throw new SaeException(cfgFile + ": required key '" + key + "' is missing; expected a positive integer");
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() <= 0) {
            throw new SaeException(cfgFile + ": key '" + key + "' is " + node + "; expected a positive integer");
        }
        return node.intValue();
    }

    private static boolean bool(Path cfgFile, JsonNode root, String key, boolean fallback) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw new SaeException(cfgFile + ": key '" + key + "' is " + node + "; expected true or false");
        }
        return node.booleanValue();
    }

    private static void putValue(Map<String, Object> metadata, String key, JsonNode value) {
        if (value == null || value.isNull()) {
            metadata.remove(key); // SaeConfig's metadata holds no nulls; SAELens defaults absent keys to None
        } else {
            metadata.put(key, MAPPER.convertValue(value, Object.class));
        }
    }

    // ------------------------------------------------------------------------------------------------ weights

    private static Map<String, float[]> readParameters(SafetensorsFile file, Parsed parsed) {
        SaeConfig cfg = parsed.config;
        int dIn = cfg.dIn();
        int dSae = cfg.dSae();
        Path path = file.path();
        Map<String, long[]> expected = cfg.architecture().parameterShapes(cfg);
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            String name = e.getKey();
            if (name.equals("threshold") && !file.contains("threshold") && file.contains("log_threshold")) {
                float[] log = readTensor(file, "log_threshold", e.getValue(), cfg);
                for (int i = 0; i < log.length; i++) {
                    log[i] = (float) Math.exp(log[i]);
                }
                values.put(name, log);
                continue;
            }
            if (!file.contains(name)) {
                throw new SaeException(path + ": tensor '" + name + "' " + Arrays.toString(e.getValue())
                        + " is missing; a " + cfg.architecture().saeLensName() + " SAE needs " + expected.keySet()
                        + ", the file has " + file.names());
            }
            values.put(name, readTensor(file, name, e.getValue(), cfg));
        }
        // finetuning_scaling_factor (before SAELens 6): decode((f * s)) = f @ (diag(s) W_dec); fold it.
        String scaleName = file.contains("finetuning_scaling_factor") ? "finetuning_scaling_factor"
                : file.contains("scaling_factor") ? "scaling_factor" : null;
        if (scaleName != null) {
            float[] s = readTensor(file, scaleName, new long[] {dSae}, cfg);
            boolean ones = true;
            for (float v : s) {
                ones &= v == 1f;
            }
            if (!ones) {
                if (!parsed.finetuningScalingFactor) {
                    throw new SaeException(path + ": tensor '" + scaleName + "' is not all ones but "
                            + parsed.cfgFile + " has finetuning_scaling_factor=false; the two disagree");
                }
                float[] wDec = values.get("W_dec");
                for (int r = 0; r < dSae; r++) {
                    for (int c = 0; c < dIn; c++) {
                        wDec[r * dIn + c] *= s[r];
                    }
                }
            }
        } else if (parsed.finetuningScalingFactor) {
            throw new SaeException(parsed.cfgFile + " has finetuning_scaling_factor=true but " + path
                    + " has no 'scaling_factor' tensor [" + dSae + "]");
        }
        if (parsed.rescaleByDecoderNorm) {
            // hidden_pre * |W_dec row| and decode of f / |W_dec row|: fold the norms into W_enc, b_enc and W_dec.
            float[] wEnc = values.get("W_enc");
            float[] bEnc = values.get("b_enc");
            float[] wDec = values.get("W_dec");
            for (int r = 0; r < dSae; r++) {
                double sum = 0;
                for (int c = 0; c < dIn; c++) {
                    sum += (double) wDec[r * dIn + c] * wDec[r * dIn + c];
                }
                float norm = (float) Math.sqrt(sum);
                if (!(norm > 0)) {
                    throw new SaeException(path + ": W_dec row " + r + " has norm 0; cannot apply"
                            + " rescale_acts_by_decoder_norm");
                }
                for (int c = 0; c < dIn; c++) {
                    wDec[r * dIn + c] /= norm;
                    wEnc[c * dSae + r] *= norm;
                }
                bEnc[r] *= norm;
            }
        }
        return values;
    }

    private static float[] readTensor(SafetensorsFile file, String name, long[] shape, SaeConfig cfg) {
        TensorInfo info = file.info(name);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new SaeException(file.path() + ": tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                    + " but cfg.json (d_in=" + cfg.dIn() + ", d_sae=" + cfg.dSae() + ") implies "
                    + Arrays.toString(shape));
        }
        requireFloating(file.path(), info);
        float[] data = file.readFloats(name);
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new SaeException(file.path() + ": tensor '" + name + "' has a non-finite value " + data[i]
                        + " at flat index " + i + "; SAE weights must be finite");
            }
        }
        return data;
    }

    private static void requireFloating(Path file, TensorInfo info) {
        DType d = info.dtype();
        if (!d.isFloating()) {
            throw new SaeException(file + ": tensor '" + info.name() + "' has dtype " + d.safetensorsName()
                    + "; expected a floating type (F32, F16, BF16 or F64)");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Path requireDir(Path dir) {
        if (!Files.exists(dir)) {
            throw new SaeException("SAE folder " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new SaeException("SAE folder " + dir + " is not a directory; expected a folder holding "
                    + CONFIG_FILE + " and " + WEIGHTS_FILE);
        }
        return dir;
    }

    private static String listing(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().limit(10).toList();
            return names.isEmpty() ? "nothing" : String.join(", ", names);
        } catch (IOException e) {
            return "an unreadable folder";
        }
    }

    private static int majorVersion(String version) {
        int end = 0;
        while (end < version.length() && Character.isDigit(version.charAt(end))) {
            end++;
        }
        try {
            return end == 0 ? -1 : Integer.parseInt(version.substring(0, end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void multiply(float[] values, float factor) {
        for (int i = 0; i < values.length; i++) {
            values[i] *= factor;
        }
    }

    private static void divide(float[] values, float divisor) {
        for (int i = 0; i < values.length; i++) {
            values[i] /= divisor;
        }
    }

    private static String describe(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 0
                ? e.getOriginalMessage()
                : e.getOriginalMessage() + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
