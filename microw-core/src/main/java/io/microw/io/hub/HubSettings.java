package io.microw.io.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * The Hub settings in effect: {@link PretrainedOptions} where set, else the environment variables
 * {@code huggingface_hub} reads, else its defaults.
 */
record HubSettings(Path cacheRoot, String endpoint, String token, boolean offline) {

    private static final Set<String> TRUE = Set.of("1", "on", "yes", "true");

    static HubSettings from(PretrainedOptions options) {
        Function<String, String> env = options.environment();
        Path hfHome = hfHome(env);
        Path cache = options.cacheDir() != null ? options.cacheDir() : cacheRoot(env, hfHome);
        String endpoint = firstNonBlank(options.endpoint(), env.apply("HF_ENDPOINT"), PretrainedOptions.DEFAULT_ENDPOINT);
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        String token = firstNonBlank(options.token(), env.apply("HF_TOKEN"), env.apply("HUGGING_FACE_HUB_TOKEN"), null);
        if (token == null) {
            token = tokenFile(env, hfHome);
        }
        boolean offline = options.offline() != null ? options.offline() : isTrue(env.apply("HF_HUB_OFFLINE"));
        return new HubSettings(cache, endpoint, token == null ? null : token.trim(), offline);
    }

    /** {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}. */
    static Path cacheRoot(Function<String, String> env) {
        return cacheRoot(env, hfHome(env));
    }

    private static Path cacheRoot(Function<String, String> env, Path hfHome) {
        String explicit = firstNonBlank(env.apply("HF_HUB_CACHE"), env.apply("HUGGINGFACE_HUB_CACHE"), null);
        return explicit != null ? expand(explicit, env) : hfHome.resolve("hub");
    }

    private static Path hfHome(Function<String, String> env) {
        String home = env.apply("HF_HOME");
        if (home != null && !home.isBlank()) {
            return expand(home, env);
        }
        String xdg = env.apply("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? expand(xdg, env) : userHome(env).resolve(".cache");
        return cache.resolve("huggingface");
    }

    private static String tokenFile(Function<String, String> env, Path hfHome) {
        String explicit = env.apply("HF_TOKEN_PATH");
        Path file = explicit != null && !explicit.isBlank() ? expand(explicit, env) : hfHome.resolve("token");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? null : text;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the Hugging Face token file " + file, e);
        }
    }

    private static boolean isTrue(String value) {
        return value != null && TRUE.contains(value.trim().toLowerCase(Locale.ROOT));
    }

    private static Path expand(String path, Function<String, String> env) {
        if (path.equals("~")) {
            return userHome(env);
        }
        if (path.startsWith("~/")) {
            return userHome(env).resolve(path.substring(2));
        }
        return Path.of(path);
    }

    private static Path userHome(Function<String, String> env) {
        String home = env.apply("HOME");
        return Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"));
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }
}
