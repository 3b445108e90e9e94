package io.microw.sae;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.Reader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads SAELens' {@code pretrained_saes.yaml} layout: a map from release name to {@code repo_id}, {@code model},
 * {@code conversion_func}, {@code config_overrides} and a list {@code saes} of {@code id}, {@code path},
 * {@code neuronpedia}, {@code norm_scaling_factor}. Parsing is SnakeYAML's safe loading (plain maps, lists and
 * scalars; no tags that build objects); other keys ({@code links}, {@code l0}, ...) are ignored.
 */
final class SaeRegistryYaml {

    private static final int MAX_CHARS = 64 << 20;

    private SaeRegistryYaml() {
    }

    /**
     * The releases in a registry file.
     *
     * @param in     the YAML text
     * @param source where it came from, for error messages
     * @return the releases by name, in file order
     */
    static Map<String, SaeRelease> parse(Reader in, String source) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(MAX_CHARS);
        options.setAllowDuplicateKeys(false);
        Object root;
        try {
            root = new Yaml(new SafeConstructor(options)).load(in);
        } catch (YAMLException e) {
            throw new SaeException("the SAE registry " + source + " is not valid YAML: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new SaeException("the SAE registry " + source + " must be a map from release name to release, got "
                    + (root == null ? "an empty file" : root.getClass().getSimpleName()));
        }
        Map<String, SaeRelease> releases = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = String.valueOf(e.getKey());
            releases.put(name, release(name, e.getValue(), source));
        }
        return releases;
    }

    private static SaeRelease release(String name, Object value, String source) {
        String where = "release '" + name + "' of the SAE registry " + source;
        Map<?, ?> map = map(value, where);
        Object saes = map.get("saes");
        if (!(saes instanceof List<?> list)) {
            throw new SaeException(where + " needs a list 'saes' of {id, path}, got " + saes);
        }
        List<SaeRelease.Entry> entries = new ArrayList<>();
        for (Object item : list) {
            Map<?, ?> sae = map(item, "an entry of 'saes' in " + where);
            String id = text(sae, "id", where, true);
            entries.add(new SaeRelease.Entry(id, text(sae, "path", where + ", SAE '" + id + "'", true),
                    text(sae, "neuronpedia", where, false), number(sae.get("norm_scaling_factor"), where)));
        }
        Map<String, Object> overrides = new LinkedHashMap<>();
        Object given = map.get("config_overrides");
        if (given != null) {
            map(given, "'config_overrides' of " + where).forEach((k, v) -> {
                if (v != null) {
                    overrides.put(String.valueOf(k), v);
                }
            });
        }
        return new SaeRelease(name, text(map, "repo_id", where, true), text(map, "model", where, false),
                text(map, "conversion_func", where, false), overrides, entries);
    }

    private static Map<?, ?> map(Object value, String where) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new SaeException(where + " must be a map, got " + value);
        }
        return m;
    }

    private static String text(Map<?, ?> map, String key, String where, boolean required) {
        Object v = map.get(key);
        if (v == null) {
            if (required) {
                throw new SaeException(where + " has no '" + key + "'");
            }
            return null;
        }
        if (v instanceof Map || v instanceof List) {
            throw new SaeException(where + ": '" + key + "' must be text, got " + v);
        }
        return String.valueOf(v);
    }

    private static Double number(Object v, String where) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof Number n)) {
            throw new SaeException(where + ": 'norm_scaling_factor' must be a number, got " + v);
        }
        return n.doubleValue();
    }
}
