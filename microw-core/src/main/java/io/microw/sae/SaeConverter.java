package io.microw.sae;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The converters ({@code conversion_func}) of SAELens' registry that microw can load: which files of an SAE's folder
 * SAELens' loader downloads ({@code sae_lens/loading/pretrained_sae_loaders.py}), and the hook name it derives when
 * the files do not record one. The folder is then read by {@link Sae#load}.
 */
public enum SaeConverter {

    /** SAELens' own layout: {@code cfg.json}, {@code sae_weights.safetensors}, optional {@code sparsity.safetensors}. */
    SAE_LENS(SaeRelease.SAE_LENS, List.of("cfg.json", "sae_weights.safetensors"), List.of("sparsity.safetensors")),
    /** Gemma Scope: {@code params.npz}; the hook comes from the repo id and the layer in the path. */
    GEMMA_2("gemma_2", List.of("params.npz"), List.of()),
    /** Llama Scope: {@code hyperparams.json} and {@code checkpoints/final.safetensors}. */
    LLAMA_SCOPE("llama_scope", List.of("hyperparams.json", "checkpoints/final.safetensors"), List.of()),
    /** dictionary_learning: {@code ae.pt} and {@code config.json}. */
    DICTIONARY_LEARNING_1("dictionary_learning_1", List.of("ae.pt", "config.json"), List.of()),
    /** EleutherAI sparsify: {@code cfg.json} and {@code sae.safetensors}; the hook comes from the folder's name. */
    SPARSIFY("sparsify", List.of("cfg.json", "sae.safetensors"), List.of());

    private static final Pattern GEMMA_LAYER = Pattern.compile("layer_(\\d+)");
    private static final Pattern SPARSIFY_LAYER = Pattern.compile("layers[._](\\d+)");

    private final String registryName;
    private final List<String> files;
    private final List<String> optionalFiles;

    SaeConverter(String registryName, List<String> files, List<String> optionalFiles) {
        this.registryName = registryName;
        this.files = files;
        this.optionalFiles = optionalFiles;
    }

    /**
     * The converter with SAELens' name {@code name}; one microw cannot load is an {@link SaeException} listing those
     * it can.
     *
     * @param name the registry's {@code conversion_func} ({@code sae_lens} for none)
     * @param release the release, for the message
     * @return the converter
     */
    public static SaeConverter named(String name, String release) {
        for (SaeConverter c : values()) {
            if (c.registryName.equals(name)) {
                return c;
            }
        }
        throw new SaeException("release '" + release + "' uses SAELens converter '" + name + "', which microw cannot "
                + "load; supported: " + Arrays.stream(values()).map(SaeConverter::registryName).toList());
    }

    /**
     * Whether microw can load releases whose registry entry names converter {@code name}.
     *
     * @param name the registry's {@code conversion_func}
     * @return true for a converter {@link #named} finds
     */
    static boolean knows(String name) {
        return Arrays.stream(values()).anyMatch(c -> c.registryName.equals(name));
    }

    /**
     * SAELens' name of this converter.
     *
     * @return the name, e.g. {@code gemma_2}
     */
    public String registryName() {
        return registryName;
    }

    /**
     * The files an SAE needs, relative to its folder.
     *
     * @return the needed files
     */
    public List<String> files() {
        return files;
    }

    /**
     * Files used when the repository has them, relative to the SAE's folder.
     *
     * @return the optional files
     */
    public List<String> optionalFiles() {
        return optionalFiles;
    }

    /**
     * The TransformerLens hook name SAELens derives for an SAE of this format whose files record none
     * ({@code get_gemma_2_config_from_hf}, {@code get_sparsify_config_from_disk}), or "" when it derives none.
     *
     * @param repoId the repository
     * @param path   the SAE's folder in it
     * @return the hook name, or ""
     */
    public String hookName(String repoId, String path) {
        return switch (this) {
            case GEMMA_2 -> gemmaHook(repoId.toLowerCase(Locale.ROOT), path);
            case SPARSIFY -> sparsifyHook(path.substring(path.lastIndexOf('/') + 1));
            default -> "";
        };
    }

    private static String gemmaHook(String repoId, String path) {
        boolean embedding = path.contains("embedding");
        Matcher m = GEMMA_LAYER.matcher(path);
        String layer = m.find() ? m.group(1) : (embedding ? "0" : null);
        if (layer == null) {
            return "";
        }
        if (repoId.contains("res")) {
            return embedding ? "hook_embed" : "blocks." + layer + ".hook_resid_post";
        } else if (repoId.contains("mlp")) {
            return "blocks." + layer + ".hook_mlp_out";
        } else if (repoId.contains("att")) {
            return "blocks." + layer + ".attn.hook_z";
        }
        return "";
    }

    private static String sparsifyHook(String folder) {
        if (folder.equals("embed_tokens")) {
            return "hook_embed";
        }
        Matcher m = SPARSIFY_LAYER.matcher(folder);
        return m.find() ? "blocks." + m.group(1) + ".hook_resid_post" : "";
    }
}
