package io.microw.sae;

import io.microw.io.FloatArray;
import io.microw.io.NpyFile;
import io.microw.io.TensorFileException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Gemma Scope's {@code params.npz} (Google DeepMind; e.g. {@code google/gemma-scope-2b-pt-res},
 * {@code layer_3/width_16k/average_l0_7/params.npz}): numpy arrays {@code W_enc [d_in, d_sae]},
 * {@code W_dec [d_sae, d_in]}, {@code b_enc [d_sae]}, {@code b_dec [d_in]}, {@code threshold [d_sae]}, read as
 * SAELens' {@code gemma_2} converter does: a JumpReLU SAE, {@code pre = x·W_enc + b_enc} (no {@code b_dec}
 * subtracted from the input), {@code code = pre} where {@code pre > threshold} (and {@code > 0}), else 0,
 * {@code x̂ = code·W_dec + b_dec}. Keys spelled {@code w_enc}/{@code w_dec} are accepted; a
 * {@code scaling_factor} must be all ones; embedding SAEs (under an {@code embedding/width_N/average_l0_M} folder) get SAELens'
 * {@code W_enc / √d_in}, {@code W_dec · √d_in} correction.
 */
public final class GemmaScopeFormat implements SaeFormat {

    /** The weights file of a Gemma Scope SAE. */
    public static final String PARAMS_FILE = "params.npz";

    private static final Set<String> KEYS = Set.of("W_enc", "W_dec", "b_enc", "b_dec", "threshold");
    private static final String NEEDS = "a Gemma Scope SAE needs W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc,"
            + " b_dec and threshold";

    /** The format (stateless; {@link SaeFormats#ALL} holds one). */
    public GemmaScopeFormat() {
    }

    @Override
    public String name() {
        return "Gemma Scope";
    }

    @Override
    public String looksFor() {
        return "a " + PARAMS_FILE + " file, or a folder holding one";
    }

    @Override
    public boolean detects(Path path) {
        return file(path) != null;
    }

    @Override
    public Sae load(Path path) {
        Path file = file(path);
        if (file == null) {
            throw new SaeException("no " + PARAMS_FILE + " at " + path + "; expected " + looksFor());
        }
        Map<String, FloatArray> raw;
        try {
            raw = NpyFile.readNpz(file);
        } catch (TensorFileException e) {
            throw new SaeException(e.getMessage(), e);
        }
        Map<String, FloatArray> arrays = new LinkedHashMap<>();
        raw.forEach((k, v) -> arrays.put(k.startsWith("w_") ? "W_" + k.substring(2) : k, v));
        checkScalingFactor(file, arrays);
        for (String key : arrays.keySet()) {
            if (!KEYS.contains(key)) {
                throw new SaeException(file + ": unexpected array '" + key + "'; " + NEEDS);
            }
        }
        long[] encShape = PublishedWeights.matrixShape(arrays, "W_enc", file, NEEDS);
        int dIn = Math.toIntExact(encShape[0]);
        int dSae = Math.toIntExact(encShape[1]);
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put("W_enc", PublishedWeights.require(arrays, "W_enc", new long[] {dIn, dSae}, file, NEEDS));
        values.put("b_enc", PublishedWeights.require(arrays, "b_enc", new long[] {dSae}, file, NEEDS));
        values.put("W_dec", PublishedWeights.require(arrays, "W_dec", new long[] {dSae, dIn}, file, NEEDS));
        values.put("b_dec", PublishedWeights.require(arrays, "b_dec", new long[] {dIn}, file, NEEDS));
        values.put("threshold", PublishedWeights.require(arrays, "threshold", new long[] {dSae}, file, NEEDS));
        if (isEmbeddingSae(file)) {
            float root = (float) Math.sqrt(dIn);
            scale(values.get("W_enc"), 1 / root);
            scale(values.get("W_dec"), root);
        }
        SaeConfig config = new SaeConfig(SaeArchitecture.JUMP_RELU, dIn, dSae, 0, false, "", "",
                Map.of("converted_from", "gemma-scope"));
        return Sae.fromParameters(config, values);
    }

    private static void checkScalingFactor(Path file, Map<String, FloatArray> arrays) {
        FloatArray s = arrays.remove("scaling_factor");
        if (s == null) {
            return;
        }
        for (float v : s.values()) {
            if (v != 1f) {
                throw new SaeException(file + ": array 'scaling_factor' is not all ones; Gemma Scope SAEs have no"
                        + " fine-tuning scaling factor (SAELens refuses this too)");
            }
        }
    }

    /** Gemma Scope's embedding SAEs live under {@code embedding/width_N/average_l0_M/params.npz}. */
    private static boolean isEmbeddingSae(Path file) {
        Path p = file.toAbsolutePath();
        int n = p.getNameCount();
        return n >= 4 && p.getName(n - 4).toString().equals("embedding");
    }

    private static void scale(float[] values, float factor) {
        for (int i = 0; i < values.length; i++) {
            values[i] *= factor;
        }
    }

    private static Path file(Path path) {
        if (Files.isRegularFile(path) && path.getFileName().toString().equals(PARAMS_FILE)) {
            return path;
        }
        Path inside = path.resolve(PARAMS_FILE);
        return Files.isDirectory(path) && Files.isRegularFile(inside) ? inside : null;
    }
}
