package io.microw.sae;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.io.FloatArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * EleutherAI sparsify ({@code SparseCoder.save_to_disk}): one folder per hookpoint (e.g. {@code layers.6/}, with
 * the training run's {@code config.json} one level up), each holding {@code cfg.json} ({@code d_in}, {@code k},
 * {@code num_latents} or {@code expansion_factor}, {@code activation}, {@code transcode}, ...) and
 * {@code sae.safetensors} with {@code encoder.weight [d_sae, d_in]}, {@code encoder.bias [d_sae]},
 * {@code W_dec [d_sae, d_in]}, {@code b_dec [d_in]}. Semantics of sparsify's own {@code encode}/{@code decode}: a
 * TopK SAE, {@code pre = ReLU((x − b_dec)·encoder.weightᵀ + encoder.bias)}, the {@code k} largest kept,
 * {@code x̂ = Σ code_i·W_dec[i] + b_dec}. Transcoders, skip connections, signed and "groupmax" coders are refused.
 * The hook name follows SAELens: {@code layers.N} reads {@code blocks.N.hook_resid_post}, {@code embed_tokens}
 * {@code hook_embed}. Loading the run's root folder fails with the list of its layer folders.
 */
public final class SparsifyFormat implements SaeFormat {

    /** sparsify's config file name (the same as SAELens'). */
    public static final String CONFIG_FILE = "cfg.json";
    /** sparsify's weights file name. */
    public static final String WEIGHTS_FILE = "sae.safetensors";

    private static final Pattern LAYER = Pattern.compile("layers[._](\\d+)");
    private static final String NEEDS = "a sparsify SAE needs encoder.weight [d_sae, d_in], encoder.bias, W_dec"
            + " [d_sae, d_in] and b_dec";

    /** The format (stateless; {@link SaeFormats#ALL} holds one). */
    public SparsifyFormat() {
    }

    @Override
    public String name() {
        return "EleutherAI sparsify";
    }

    @Override
    public String looksFor() {
        return "a folder with " + CONFIG_FILE + " and " + WEIGHTS_FILE + ", or a run folder of such layer folders";
    }

    @Override
    public boolean detects(Path path) {
        return isLayerFolder(path) || !layers(path).isEmpty();
    }

    /**
     * The layer folders of a sparsify run (sub-folders holding cfg.json and sae.safetensors), sorted by name.
     *
     * @param root the run's folder
     * @return the layer folders, empty when {@code root} is not a folder
     */
    public static List<Path> layers(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(SparsifyFormat::isLayerFolder).sorted().toList();
        } catch (IOException e) {
            throw new SaeException("cannot list " + root + ": " + e, e);
        }
    }

    @Override
    public Sae load(Path path) {
        if (!isLayerFolder(path)) {
            List<String> names = layers(path).stream().map(p -> p.getFileName().toString()).toList();
            throw new SaeException(path + " is a sparsify run with one SAE per layer folder; load one of " + names);
        }
        Path cfgFile = path.resolve(CONFIG_FILE);
        JsonNode cfg = PublishedWeights.readJson(cfgFile);
        int dIn = PublishedWeights.positiveInt(cfgFile, cfg, "d_in");
        int k = PublishedWeights.positiveInt(cfgFile, cfg, "k");
        JsonNode numLatents = cfg.get("num_latents");
        int dSae = numLatents != null && numLatents.isIntegralNumber() && numLatents.intValue() > 0
                ? numLatents.intValue() : dIn * PublishedWeights.positiveInt(cfgFile, cfg, "expansion_factor");
        String activation = PublishedWeights.text(cfg, "activation", "topk");
        if (!activation.equals("topk")) {
            throw new SaeException(cfgFile + ": key 'activation' is \"" + activation + "\"; only \"topk\" is supported");
        }
        for (String off : List.of("transcode", "skip_connection", "signed")) {
            if (PublishedWeights.bool(cfgFile, cfg, off, false)) {
                throw new SaeException(cfgFile + ": key '" + off + "' is true; only plain sparse autoencoders"
                        + " (transcode, skip_connection and signed false) are supported");
            }
        }
        Path weightsFile = path.resolve(WEIGHTS_FILE);
        Map<String, FloatArray> tensors = PublishedWeights.readSafetensors(weightsFile);
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put("W_enc", PublishedWeights.transpose(PublishedWeights.require(tensors, "encoder.weight",
                new long[] {dSae, dIn}, weightsFile, NEEDS), dSae, dIn));
        values.put("b_enc", PublishedWeights.require(tensors, "encoder.bias", new long[] {dSae}, weightsFile, NEEDS));
        values.put("W_dec", PublishedWeights.require(tensors, "W_dec", new long[] {dSae, dIn}, weightsFile, NEEDS));
        values.put("b_dec", PublishedWeights.require(tensors, "b_dec", new long[] {dIn}, weightsFile, NEEDS));
        SaeConfig config = new SaeConfig(SaeArchitecture.TOPK, dIn, dSae, k, true, modelName(path),
                hookName(path), Map.of("converted_from", "sparsify"));
        return Sae.fromParameters(config, values);
    }

    private static boolean isLayerFolder(Path path) {
        return Files.isRegularFile(path.resolve(CONFIG_FILE)) && Files.isRegularFile(path.resolve(WEIGHTS_FILE));
    }

    private static String hookName(Path folder) {
        String name = folder.toAbsolutePath().getFileName().toString();
        if (name.equals("embed_tokens")) {
            return "hook_embed";
        }
        Matcher m = LAYER.matcher(name);
        return m.find() ? "blocks." + m.group(1) + ".hook_resid_post" : "";
    }

    private static String modelName(Path folder) {
        Path runConfig = folder.toAbsolutePath().resolveSibling("config.json");
        return Files.isRegularFile(runConfig) ? PublishedWeights.text(PublishedWeights.readJson(runConfig), "model", "")
                : "";
    }
}
