package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SaeCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Path texts;
    static Path trained;
    static CliRun train;

    static Path texts(Path dir) throws Exception {
        Path f = dir.resolve("texts.txt");
        Files.writeString(f, String.join("\n",
                "The jury said it did find that many of the voters were pleased.",
                "The city election was held on Friday and the mayor won again.",
                "She told the committee that the new plan would cost three million dollars.",
                "It was a long day, and the men went home tired but happy.",
                "Two children played in the park while their parents talked about the weather.",
                "He wrote a letter to the governor asking for more money for the schools.",
                "The old church stands on a hill above the river.",
                "We will meet again next week to discuss the report.")
                + "\n");
        return f;
    }

    /** Trains one tiny TopK SAE on the fly (d_sae 64, k 4, one epoch, checkpoints every 2 steps). */
    @BeforeAll
    static void trainOnce() throws Exception {
        texts = texts(dir);
        trained = dir.resolve("trained");
        train = CliRun.of("sae", "train", "--texts-file", texts.toString(), "--layer", "transformer.h.2",
                "--out", trained.toString(), "--d-sae", "64", "--k", "4", "--epochs", "1", "--batch-size", "32",
                "--metrics-every", "1", "--checkpoint-every", "2", "--json");
    }

    @Test
    void trainsOnTheFlyWithProgressAndSavesSaeHistoryAndCheckpoints() throws Exception {
        assertThat(train.exitCode()).as(train.err()).isZero();
        JsonNode result = JSON.readTree(train.out());
        assertThat(result.get("architecture").asText()).isEqualTo("topk");
        assertThat(result.get("d_sae").asInt()).isEqualTo(64);
        assertThat(result.get("k").asInt()).isEqualTo(4);
        assertThat(result.get("layer").asText()).isEqualTo("transformer.h.2");
        assertThat(result.get("steps").asLong()).isPositive();
        assertThat(result.get("final").get("explained_variance").isNumber()).isTrue();
        assertThat(train.err()).contains("sae train: topk d_in 256 d_sae 64 k 4", "steps", "tok/s", "mse", "l0");
        assertThat(trained.resolve("sae/cfg.json")).isRegularFile();
        assertThat(trained.resolve("sae/sae_weights.safetensors")).isRegularFile();
        assertThat(trained.resolve("sae/sparsity.safetensors")).isRegularFile();
        JsonNode history = JSON.readTree(trained.resolve("history.json").toFile());
        assertThat(history.isArray()).isTrue();
        assertThat(history.size()).isEqualTo(result.get("steps").asInt());
        assertThat(history.get(0).has("mse")).isTrue();
        try (var files = Files.list(trained.resolve("checkpoints"))) {
            assertThat(files.count()).isPositive();
        }

        CliRun again = CliRun.of("sae", "train", "--texts-file", texts.toString(), "--layer", "transformer.h.2",
                "--out", trained.toString(), "--d-sae", "64", "--k", "4", "--batch-size", "32");
        assertThat(again.exitCode()).isEqualTo(2);
        assertThat(again.err()).contains("already holds a training", "--resume").doesNotContain("\tat ");

        CliRun otherShape = CliRun.of("sae", "train", "--texts-file", texts.toString(), "--layer",
                "transformer.h.2", "--out", trained.toString(), "--d-sae", "128", "--k", "4", "--resume");
        assertThat(otherShape.exitCode()).isEqualTo(1);
        assertThat(otherShape.err()).contains("same --arch, --d-sae and --k");

        CliRun resumed = CliRun.of("sae", "train", "--texts-file", texts.toString(), "--layer", "transformer.h.2",
                "--out", trained.toString(), "--d-sae", "64", "--k", "4", "--batch-size", "32",
                "--metrics-every", "1", "--checkpoint-every", "2", "--resume", "--no-progress");
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("(resuming)");
        assertThat(resumed.out()).contains("saved the SAE to");
    }

    @Test
    void evaluatesShowsAndExports() throws Exception {
        assertThat(train.exitCode()).as(train.err()).isZero();
        Path sae = trained.resolve("sae");
        CliRun eval = CliRun.of("sae", "eval", "--sae", sae.toString(), "--layer", "transformer.h.2",
                "--texts-file", texts.toString(), "--limit", "4", "--json");
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        JsonNode m = JSON.readTree(eval.out());
        assertThat(m.get("texts").asLong()).isEqualTo(4);
        assertThat(m.get("tokens").asLong()).isPositive();
        assertThat(m.get("explained_variance").isNumber()).isTrue();
        assertThat(m.get("l0").asDouble()).isBetween(0.0, 4.0);
        assertThat(m.has("ce_loss_score")).isTrue();

        CliRun evalText = CliRun.of("sae", "eval", "--sae", sae.toString(), "--texts-file", texts.toString(),
                "--limit", "2");
        assertThat(evalText.exitCode()).as(evalText.err()).isZero();
        assertThat(evalText.out()).contains("explained_variance", "l0", "kl_div_score");

        CliRun info = CliRun.of("sae", "info", "--sae", sae.toString(), "--json");
        assertThat(info.exitCode()).as(info.err()).isZero();
        JsonNode i = JSON.readTree(info.out());
        assertThat(i.get("architecture").asText()).isEqualTo("topk");
        assertThat(i.get("d_in").asInt()).isEqualTo(256);
        assertThat(i.get("d_sae").asInt()).isEqualTo(64);
        assertThat(i.get("hook_name").asText()).isEqualTo("transformer.h.2");
        assertThat(i.get("sparsity_file").asBoolean()).isTrue();
        assertThat(i.get("parameters").get("W_enc").toString()).isEqualTo("[256,64]");
        assertThat(i.get("input_scale").asDouble()).isEqualTo(1.0);
        CliRun infoText = CliRun.of("sae", "info", "--sae", sae.toString());
        assertThat(infoText.out()).contains("topk", "W_dec", "[64, 256]", "sparsity.safetensors present");

        Path exported = dir.resolve("exported");
        CliRun export = CliRun.of("sae", "export", "--sae", sae.toString(), "--out", exported.toString(),
                "--fold-scale");
        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(exported.resolve("cfg.json")).isRegularFile();
        assertThat(exported.resolve("sae_weights.safetensors")).isRegularFile();
        assertThat(exported.resolve("sparsity.safetensors")).isRegularFile();
        CliRun exists = CliRun.of("sae", "export", "--sae", sae.toString(), "--out", exported.toString());
        assertThat(exists.exitCode()).isEqualTo(2);
        assertThat(exists.err()).contains("already exists", "--force");
        CliRun forced = CliRun.of("sae", "export", "--sae", sae.toString(), "--out", exported.toString(), "--force");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        CliRun reread = CliRun.of("sae", "info", "--sae", exported.toString(), "--json");
        assertThat(JSON.readTree(reread.out()).get("d_sae").asInt()).isEqualTo(64);
    }

    @Test
    void trainsFromASavedRun() throws Exception {
        Path store = dir.resolve("store");
        CliRun save = CliRun.of("activations", "save", "--layers", "transformer.h.2", "--texts-file",
                texts.toString(), "--store", store.toString(), "--run", "r", "--no-progress");
        assertThat(save.exitCode()).as(save.err()).isZero();
        Path out = dir.resolve("from-store");
        CliRun run = CliRun.of("sae", "train", "--store", store.toString(), "--run", "r", "--layer",
                "transformer.h.2", "--out", out.toString(), "--arch", "standard", "--d-sae", "64", "--batch-size", "32", "--tokens",
                "64", "--no-progress");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("trained 2 steps on 64 tokens", "final: mse");
        assertThat(out.resolve("sae/cfg.json")).content().contains("\"standard\"", "transformer.h.2");

        CliRun unknown = CliRun.of("sae", "train", "--store", store.toString(), "--run", "r", "--layer",
                "transformer.h.3", "--out", dir.resolve("x").toString());
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("unknown layer 'transformer.h.3'", "transformer.h.2");
        CliRun noRun = CliRun.of("sae", "train", "--store", store.toString(), "--run", "nope", "--layer", "2",
                "--out", dir.resolve("x").toString());
        assertThat(noRun.exitCode()).isEqualTo(1);
        assertThat(noRun.err()).contains("no run 'nope'");
    }

    @Test
    void usageErrorsExitOne() {
        String t = texts.toString();
        String out = dir.resolve("never").toString();
        expectUsage(CliRun.of("sae"), "name a subcommand");
        expectUsage(CliRun.of("sae", "train", "--texts-file", t, "--layer", "2"), "--out");
        expectUsage(CliRun.of("sae", "train", "--texts-file", t, "--layer", "2", "--out", out, "--arch", "gated"),
                "--arch 'gated': gated SAEs can be loaded and run but not trained");
        expectUsage(CliRun.of("sae", "train", "--texts-file", t, "--layer", "2", "--out", out, "--architecture",
                "dense"), "unknown SAE architecture 'dense'; expected one of standard, topk");
        expectUsage(CliRun.of("sae", "train", "--texts-file", t, "--layer", "2", "--out", out, "--d-sae", "64",
                "--k", "64"), "--k must be in 1..63");
        expectUsage(CliRun.of("sae", "train", "--layer", "2", "--out", out), "--store DIR --run ID");
        expectUsage(CliRun.of("sae", "train", "--texts-file", t, "--layer", "2", "--out", out, "--epochs", "2",
                "--tokens", "10"), "not both");
        expectUsage(CliRun.of("sae", "train", "--texts-file", t, "--layer", "2", "--out", out, "--epochs", "x"),
                "'x'");
        expectUsage(CliRun.of("sae", "train", "--texts-file", t, "--layer", "transformer.h.9", "--out", out,
                "--d-sae", "64", "--k", "4"), "unknown layer 'transformer.h.9'");
        expectUsage(CliRun.of("sae", "train", "--texts-file", t, "--layer", "2", "--out", out, "--bogus"),
                "--bogus");
        expectUsage(CliRun.of("sae", "eval", "--sae", dir.resolve("missing").toString(), "--brown", "validation"),
                "is not a folder or file");
        expectUsage(CliRun.of("sae", "eval", "--sae", trained.resolve("sae").toString()), "exactly one of");
        expectUsage(CliRun.of("sae", "eval", "--sae", trained.resolve("sae").toString(), "--brown", "test"),
                "unknown --brown split 'test'");
        expectUsage(CliRun.of("sae", "info", "--sae", dir.toString()), "no known SAE format");
        expectUsage(CliRun.of("sae", "export", "--sae", trained.resolve("sae").toString()), "--out");
        assertThat(Path.of(out)).doesNotExist();
    }

    @Test
    void everySubcommandHasHelpWithAnExample() {
        for (String sub : new String[] {"train", "eval", "info", "export", "pull", "list-releases"}) {
            CliRun help = CliRun.of("sae", sub, "--help");
            assertThat(help.exitCode()).isZero();
            assertThat(help.out()).contains("Usage: microw sae " + sub, "Example", "microw sae " + sub + " --");
        }
    }

    static void expectUsage(CliRun run, String message) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains(message).doesNotContain("\tat ");
    }
}
