package io.microw.sae;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.io.FloatArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Llama Scope (OpenMOSS; e.g. {@code fnlp/Llama3_1-8B-Base-LXR-8x}, folder {@code Llama3_1-8B-Base-L15R-8x}):
 * {@code hyperparams.json} + {@code checkpoints/final.safetensors} holding {@code encoder.weight [d_sae, d_model]},
 * {@code encoder.bias}, {@code decoder.weight [d_model, d_sae]}, {@code decoder.bias}, read as SAELens'
 * {@code llama_scope} converter does: a JumpReLU SAE with one scalar threshold for every latent, no {@code b_dec}
 * subtracted from the input, trained on inputs rescaled by the dataset norm. That scaling is the SAE's input scale
 * {@code s = √d_model / dataset_average_activation_norm.in} ({@link Sae#inputScale()}): {@code pre = (x·s) W_enc +
 * b_enc}, {@code code = pre} where {@code pre > jump_relu_threshold · s} (and {@code > 0}), {@code x̂ = (code W_dec +
 * b_dec) / s} — the function SAELens computes after {@code fold_activation_norm_scaling_factor(s)}. The model
 * name is SAELens' ({@code meta-llama/Llama-3.1-8B}), the hook name {@code hook_point_in}. A per-token
 * {@code norm_activation} or {@code apply_decoder_bias_to_pre_encoder: true} is refused.
 */
public final class LlamaScopeFormat implements SaeFormat {

    /** The config file of a Llama Scope SAE. */
    public static final String HYPERPARAMS_FILE = "hyperparams.json";
    /** The weights file of a Llama Scope SAE, relative to its folder. */
    public static final String WEIGHTS_FILE = "checkpoints/final.safetensors";

    private static final String NEEDS = "a Llama Scope SAE needs encoder.weight [d_sae, d_model], encoder.bias,"
            + " decoder.weight [d_model, d_sae] and decoder.bias";

    /** The format (stateless; {@link SaeFormats#ALL} holds one). */
    public LlamaScopeFormat() {
    }

    @Override
    public String name() {
        return "Llama Scope";
    }

    @Override
    public String looksFor() {
        return "a folder with " + HYPERPARAMS_FILE + " and " + WEIGHTS_FILE;
    }

    @Override
    public boolean detects(Path path) {
        return Files.isRegularFile(path.resolve(HYPERPARAMS_FILE)) && Files.isRegularFile(path.resolve(WEIGHTS_FILE));
    }

    @Override
    public Sae load(Path path) {
        Path cfgFile = path.resolve(HYPERPARAMS_FILE);
        JsonNode cfg = PublishedWeights.readJson(cfgFile);
        String act = PublishedWeights.text(cfg, "act_fn", "jumprelu");
        if (!act.equals("jumprelu")) {
            throw new SaeException(cfgFile + ": key 'act_fn' is \"" + act + "\"; a Llama Scope SAE is \"jumprelu\"");
        }
        String norm = PublishedWeights.text(cfg, "norm_activation", "dataset-wise");
        if (!norm.equals("dataset-wise")) {
            throw new SaeException(cfgFile + ": key 'norm_activation' is \"" + norm + "\"; only \"dataset-wise\""
                    + " (one input scale for every token) is supported");
        }
        if (PublishedWeights.bool(cfgFile, cfg, "apply_decoder_bias_to_pre_encoder", false)) {
            throw new SaeException(cfgFile + ": key 'apply_decoder_bias_to_pre_encoder' is true; Llama Scope SAEs"
                    + " (and SAELens' converter) encode without subtracting the decoder bias");
        }
        int dIn = PublishedWeights.positiveInt(cfgFile, cfg, "d_model");
        int dSae = PublishedWeights.positiveInt(cfgFile, cfg, "d_sae");
        double threshold = PublishedWeights.number(cfgFile, cfg, "jump_relu_threshold");
        JsonNode norms = cfg.get("dataset_average_activation_norm");
        if (norms == null || !norms.isObject()) {
            throw new SaeException(cfgFile + ": key 'dataset_average_activation_norm' is "
                    + (norms == null ? "missing" : norms.toString()) + "; expected {\"in\": ..., \"out\": ...}");
        }
        double normIn = PublishedWeights.number(cfgFile, norms, "in");
        if (!(normIn > 0)) {
            throw new SaeException(cfgFile + ": key 'dataset_average_activation_norm.in' is " + normIn
                    + "; expected a positive number");
        }
        float scale = (float) (Math.sqrt(dIn) / normIn);
        Path weightsFile = path.resolve(WEIGHTS_FILE);
        Map<String, FloatArray> tensors = PublishedWeights.readSafetensors(weightsFile);
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put("W_enc", PublishedWeights.transpose(PublishedWeights.require(tensors, "encoder.weight",
                new long[] {dSae, dIn}, weightsFile, NEEDS), dSae, dIn));
        values.put("b_enc", PublishedWeights.require(tensors, "encoder.bias", new long[] {dSae}, weightsFile, NEEDS));
        values.put("W_dec", PublishedWeights.transpose(PublishedWeights.require(tensors, "decoder.weight",
                new long[] {dIn, dSae}, weightsFile, NEEDS), dIn, dSae));
        values.put("b_dec", PublishedWeights.require(tensors, "decoder.bias", new long[] {dIn}, weightsFile, NEEDS));
        float[] thresholds = new float[dSae];
        Arrays.fill(thresholds, (float) (threshold * scale));
        values.put("threshold", thresholds);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("converted_from", "llama-scope");
        metadata.put("dataset_average_activation_norm_in", normIn);
        SaeConfig config = new SaeConfig(SaeArchitecture.JUMP_RELU, dIn, dSae, 0, false, "meta-llama/Llama-3.1-8B",
                PublishedWeights.text(cfg, "hook_point_in", ""), metadata);
        Sae sae = Sae.fromParameters(config, values);
        sae.setInputScale(scale);
        return sae;
    }
}
