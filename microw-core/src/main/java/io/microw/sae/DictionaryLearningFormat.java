package io.microw.sae;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.io.FloatArray;
import io.microw.io.TensorFileException;
import io.microw.io.TorchStateDict;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * dictionary_learning (saprmarks/dictionary_learning): a trainer folder holding {@code ae.pt}, the
 * {@code torch.save}d state dict (read by {@link TorchStateDict}, which executes nothing), and
 * {@code config.json} whose {@code trainer.dict_class} names the class (without config.json the class is
 * {@code AutoEncoder}). Each class maps to the microw SAE computing its own {@code encode}/{@code decode}:
 * <ul>
 *   <li>{@code AutoEncoder}: {@code f = ReLU((x − bias)·encoder.weightᵀ + encoder.bias)},
 *       {@code x̂ = f·decoder.weightᵀ + bias} (standard ReLU SAE);</li>
 *   <li>{@code AutoEncoderTopK}: the same encoder with {@code b_dec}, the {@code k} (state dict buffer) largest
 *       kept (TopK);</li>
 *   <li>{@code BatchTopKSAE}: at inference {@code f = ReLU(pre)·[ReLU(pre) > threshold]} with its scalar
 *       {@code threshold} buffer (BatchTopK, evaluated as a JumpReLU);</li>
 *   <li>{@code JumpReluAutoEncoder}: {@code W_enc}, {@code b_enc}, {@code W_dec}, {@code b_dec},
 *       {@code threshold}, no {@code b_dec} subtracted from the input (JumpReLU);</li>
 *   <li>{@code GatedAutoEncoder}: {@code encoder.weight} (no bias), {@code gate_bias}, {@code mag_bias},
 *       {@code r_mag}, {@code decoder.weight}, {@code decoder_bias} (Gated).</li>
 * </ul>
 * {@code trainer.activation_dim} and {@code trainer.dict_size} must match the tensors; the hook name is
 * {@code blocks.<trainer.layer>.hook_resid_post}, as SAELens' converter sets it.
 */
public final class DictionaryLearningFormat implements SaeFormat {

    /** The weights file of a dictionary_learning SAE. */
    public static final String WEIGHTS_FILE = "ae.pt";
    /** The trainer config beside it. */
    public static final String CONFIG_FILE = "config.json";
    /** The {@code trainer.dict_class} values read. */
    public static final List<String> CLASSES = List.of("AutoEncoder", "AutoEncoderTopK", "BatchTopKSAE",
            "JumpReluAutoEncoder", "GatedAutoEncoder");

    /** The format (stateless; {@link SaeFormats#ALL} holds one). */
    public DictionaryLearningFormat() {
    }

    @Override
    public String name() {
        return "dictionary_learning";
    }

    @Override
    public String looksFor() {
        return "an " + WEIGHTS_FILE + " file, or a folder holding one (with " + CONFIG_FILE + ")";
    }

    @Override
    public boolean detects(Path path) {
        return weights(path) != null;
    }

    @Override
    public Sae load(Path path) {
        Path file = weights(path);
        if (file == null) {
            throw new SaeException("no " + WEIGHTS_FILE + " at " + path + "; expected " + looksFor());
        }
        Path cfgFile = file.resolveSibling(CONFIG_FILE);
        JsonNode trainer = Files.isRegularFile(cfgFile) ? trainer(cfgFile) : null;
        String dictClass = trainer == null ? "AutoEncoder" : PublishedWeights.text(trainer, "dict_class", "");
        if (!CLASSES.contains(dictClass)) {
            throw new SaeException(cfgFile + ": key 'trainer.dict_class' is \"" + dictClass + "\"; expected one of "
                    + CLASSES);
        }
        Map<String, FloatArray> t;
        try {
            t = TorchStateDict.read(file);
        } catch (TensorFileException e) {
            throw new SaeException(e.getMessage(), e);
        }
        boolean jump = dictClass.equals("JumpReluAutoEncoder");
        String encKey = jump ? "W_enc" : "encoder.weight";
        String needs = "the " + dictClass + " class needs " + encKey;
        long[] enc = PublishedWeights.matrixShape(t, encKey, file, needs);
        int dIn = Math.toIntExact(jump ? enc[0] : enc[1]);
        int dSae = Math.toIntExact(jump ? enc[1] : enc[0]);
        if (trainer != null) {
            checkSize(cfgFile, trainer, "activation_dim", dIn, file, encKey);
            checkSize(cfgFile, trainer, "dict_size", dSae, file, encKey);
        }
        Parts p = new Parts(t, file, dictClass, dIn, dSae);
        Map<String, float[]> v = new LinkedHashMap<>();
        SaeArchitecture arch;
        int k = 0;
        boolean applyBDec = true;
        switch (dictClass) {
            case "AutoEncoder" -> {
                arch = SaeArchitecture.STANDARD;
                p.linear(v, "bias");
            }
            case "AutoEncoderTopK", "BatchTopKSAE" -> {
                arch = dictClass.equals("BatchTopKSAE") ? SaeArchitecture.BATCH_TOPK : SaeArchitecture.TOPK;
                p.linear(v, "b_dec");
                k = Math.round(p.scalar("k"));
                if (arch == SaeArchitecture.BATCH_TOPK) {
                    float[] threshold = new float[dSae];
                    Arrays.fill(threshold, p.scalar("threshold"));
                    v.put("threshold", threshold);
                }
            }
            case "JumpReluAutoEncoder" -> {
                arch = SaeArchitecture.JUMP_RELU;
                applyBDec = false;
                v.put("W_enc", p.get("W_enc", dIn, dSae));
                v.put("b_enc", p.get("b_enc", dSae));
                v.put("W_dec", p.get("W_dec", dSae, dIn));
                v.put("b_dec", p.get("b_dec", dIn));
                v.put("threshold", p.get("threshold", dSae));
            }
            default -> { // GatedAutoEncoder
                arch = SaeArchitecture.GATED;
                v.put("W_enc", PublishedWeights.transpose(p.get("encoder.weight", dSae, dIn), dSae, dIn));
                v.put("W_dec", PublishedWeights.transpose(p.get("decoder.weight", dIn, dSae), dIn, dSae));
                v.put("b_dec", p.get("decoder_bias", dIn));
                v.put("b_gate", p.get("gate_bias", dSae));
                v.put("b_mag", p.get("mag_bias", dSae));
                v.put("r_mag", p.get("r_mag", dSae));
            }
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("converted_from", "dictionary_learning");
        metadata.put("dict_class", dictClass);
        String model = trainer == null ? "" : PublishedWeights.text(trainer, "lm_name", "");
        JsonNode layer = trainer == null ? null : trainer.get("layer");
        String hook = layer != null && layer.isIntegralNumber() ? "blocks." + layer.intValue() + ".hook_resid_post" : "";
        try {
            return Sae.fromParameters(new SaeConfig(arch, dIn, dSae, k, applyBDec,
                    model.substring(model.lastIndexOf('/') + 1), hook, metadata), v);
        } catch (SaeException e) {
            throw new SaeException(file + ": " + e.getMessage(), e);
        }
    }

    /** The state dict's tensors, checked by name and shape against one class's needs. */
    private record Parts(Map<String, FloatArray> t, Path file, String dictClass, int dIn, int dSae) {

        float[] get(String key, long... shape) {
            return PublishedWeights.require(t, key, shape, file, "the " + dictClass + " class needs it");
        }

        /** encoder.weight/encoder.bias/decoder.weight as W_enc/b_enc/W_dec, and the decoder bias under {@code bias}. */
        void linear(Map<String, float[]> v, String bias) {
            v.put("W_enc", PublishedWeights.transpose(get("encoder.weight", dSae, dIn), dSae, dIn));
            v.put("b_enc", get("encoder.bias", dSae));
            v.put("W_dec", PublishedWeights.transpose(get("decoder.weight", dIn, dSae), dIn, dSae));
            v.put("b_dec", get(bias, dIn));
        }

        float scalar(String key) {
            return get(key)[0];
        }
    }

    private static JsonNode trainer(Path cfgFile) {
        JsonNode trainer = PublishedWeights.readJson(cfgFile).get("trainer");
        if (trainer == null || !trainer.isObject()) {
            throw new SaeException(cfgFile + ": key 'trainer' is " + (trainer == null ? "missing" : trainer.toString())
                    + "; a dictionary_learning config holds {\"trainer\": {\"dict_class\": ..., ...}}");
        }
        return trainer;
    }

    private static void checkSize(Path cfgFile, JsonNode trainer, String key, int actual, Path file, String tensor) {
        JsonNode v = trainer.get(key);
        if (v != null && (!v.isIntegralNumber() || v.intValue() != actual)) {
            throw new SaeException(cfgFile + ": key 'trainer." + key + "' is " + v + " but " + file + " tensor '"
                    + tensor + "' implies " + actual);
        }
    }

    private static Path weights(Path path) {
        if (Files.isRegularFile(path) && path.getFileName().toString().equals(WEIGHTS_FILE)) {
            return path;
        }
        Path inside = path.resolve(WEIGHTS_FILE);
        return Files.isDirectory(path) && Files.isRegularFile(inside) ? inside : null;
    }
}
