package io.microw.cli;

import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Option defaults from the environment and a configuration file, so that flags need not be repeated. For an option
 * {@code --store} of {@code microw activations save}, the first of these wins: the flag itself; the environment
 * variable {@code MICROW_STORE}; the property {@code activations.save.store}, then {@code store}, in the file named by
 * {@code $MICROW_CONFIG} (else {@code ~/.microw/config.properties}, when it exists); the built-in default.
 */
final class ConfigDefaults implements IDefaultValueProvider {

    private final Map<String, String> env;
    private final Properties properties;

    ConfigDefaults(Map<String, String> env, Properties properties) {
        this.env = env;
        this.properties = properties;
    }

    /** Defaults from this process's environment and its configuration file. */
    static ConfigDefaults fromEnvironment() {
        Map<String, String> env = System.getenv();
        String named = env.get("MICROW_CONFIG");
        Path file = named != null ? Path.of(named) : Path.of(System.getProperty("user.home"), ".microw", "config.properties");
        return new ConfigDefaults(env, load(file, named != null));
    }

    static Properties load(Path file, boolean required) {
        Properties p = new Properties();
        if (!Files.exists(file)) {
            if (required) {
                throw new IllegalArgumentException("MICROW_CONFIG names " + file + ", which does not exist");
            }
            return p;
        }
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("could not read the configuration file " + file + ": " + e.getMessage(), e);
        }
        return p;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || option.longestName() == null || !option.longestName().startsWith("--")) {
            return null;
        }
        if (option.defaultValue() == null) {
            return null;
        }
        String name = option.longestName().substring(2);
        String fromEnv = env.get("MICROW_" + name.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (fromEnv != null) {
            return fromEnv;
        }
        String qualified = commandPath(option.command()) + "." + name;
        String fromFile = properties.getProperty(qualified, properties.getProperty(name));
        return fromFile != null ? fromFile : option.defaultValue();
    }

    /** "activations.save" for {@code microw activations save}. */
    private static String commandPath(CommandSpec spec) {
        List<String> names = new ArrayList<>();
        for (CommandSpec s = spec; s != null && s.parent() != null; s = s.parent()) {
            names.add(s.name());
        }
        Collections.reverse(names);
        return String.join(".", names);
    }
}
