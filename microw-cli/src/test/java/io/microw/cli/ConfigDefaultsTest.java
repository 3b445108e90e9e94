package io.microw.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigDefaultsTest {

    /** The --store default that {@code microw activations list} ends up with under these defaults and arguments. */
    private static String store(Map<String, String> env, Properties file, String... args) {
        CommandLine cmd = Main.commandLine();
        cmd.setDefaultValueProvider(new ConfigDefaults(env, file));
        String[] full = new String[args.length + 2];
        full[0] = "activations";
        full[1] = "list";
        System.arraycopy(args, 0, full, 2, args.length);
        CommandLine.ParseResult parsed = cmd.parseArgs(full);
        return parsed.subcommand().subcommand().matchedOptionValue("--store",
                ((ActivationsListCommand) parsed.subcommand().subcommand().commandSpec().userObject()).store).toString();
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }

    @Test
    void builtInDefaultWhenNothingIsConfigured() {
        assertThat(store(Map.of(), new Properties())).isEqualTo(ActivationsCommand.DEFAULT_STORE);
    }

    @Test
    void fileKeysQualifiedBeatsPlain() {
        assertThat(store(Map.of(), props("store", "plain"))).isEqualTo("plain");
        assertThat(store(Map.of(), props("store", "plain", "activations.list.store", "qualified")))
                .isEqualTo("qualified");
        // a key qualified for another command does not apply
        assertThat(store(Map.of(), props("activations.save.store", "other"))).isEqualTo(ActivationsCommand.DEFAULT_STORE);
    }

    @Test
    void environmentBeatsFileAndFlagBeatsAll() {
        Properties file = props("store", "plain", "activations.list.store", "qualified");
        assertThat(store(Map.of("MICROW_STORE", "env"), file)).isEqualTo("env");
        assertThat(store(Map.of("MICROW_STORE", "env"), file, "--store", "flag")).isEqualTo("flag");
    }

    @Test
    void dashedOptionNamesMapToUnderscoredVariables() {
        CommandLine cmd = Main.commandLine();
        cmd.setDefaultValueProvider(new ConfigDefaults(Map.of("MICROW_MAX_NEW_TOKENS", "7"),
                props("model.generate.seed", "11")));
        CommandLine.ParseResult parsed = cmd.parseArgs("model", "generate", "--prompt", "x");
        ModelGenerateCommand g = (ModelGenerateCommand) parsed.subcommand().subcommand().commandSpec().userObject();
        assertThat(g.sampling.maxNewTokens).isEqualTo(7);
        assertThat(g.sampling.seed).isEqualTo(11);
    }

    @Test
    void loadReadsAFileAndComplainsWhenANamedOneIsMissing(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.properties");
        Files.writeString(file, "store=from-file\n");
        assertThat(ConfigDefaults.load(file, true).getProperty("store")).isEqualTo("from-file");
        assertThat(ConfigDefaults.load(dir.resolve("absent"), false)).isEmpty();
        assertThatThrownBy(() -> ConfigDefaults.load(dir.resolve("absent"), true))
                .hasMessageContaining("does not exist");
    }
}
