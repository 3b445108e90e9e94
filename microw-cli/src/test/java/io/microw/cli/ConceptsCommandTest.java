package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConceptsCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static Path texts;
    static String sae;

    /** One tiny TopK SAE trained on the fly (d_sae 64, k 4), shared by the tests. */
    @BeforeAll
    static void trainOnce() throws Exception {
        texts = SaeCommandTest.texts(dir);
        CliRun train = CliRun.of("sae", "train", "--texts-file", texts.toString(), "--layer", "transformer.h.2",
                "--out", dir.resolve("t").toString(), "--d-sae", "64", "--k", "4", "--batch-size", "32",
                "--no-progress");
        assertThat(train.exitCode()).as(train.err()).isZero();
        sae = dir.resolve("t/sae").toString();
    }

    @Test
    void topContextsFromTextsAndFromASavedRun() throws Exception {
        CliRun top = CliRun.of("concepts", "top", "--sae", sae, "--layer", "transformer.h.2", "--texts-file",
                texts.toString(), "--top-k", "3", "--count", "4", "--json");
        assertThat(top.exitCode()).as(top.err()).isZero();
        JsonNode m = JSON.readTree(top.out());
        assertThat(m.get("layer").asText()).isEqualTo("transformer.h.2");
        assertThat(m.get("texts").asLong()).isEqualTo(8);
        assertThat(m.get("latents").size()).isEqualTo(4);
        JsonNode first = m.get("latents").get(0);
        assertThat(first.get("frequency").asDouble()).isPositive();
        assertThat(first.get("contexts").size()).isBetween(1, 3);
        assertThat(first.get("contexts").get(0).get("activation").asDouble()).isPositive();
        assertThat(first.get("contexts").get(0).get("text").asText()).isNotBlank();

        int latent = first.get("latent").asInt();
        CliRun text = CliRun.of("concepts", "top", "--sae", sae, "--texts-file", texts.toString(), "--latents",
                latent + ",0", "--limit", "5");
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).contains("top contexts at transformer.h.2 over 5 texts", "latent " + latent + ":", "[");

        Path store = dir.resolve("store");
        CliRun save = CliRun.of("activations", "save", "--layers", "transformer.h.2", "--texts-file",
                texts.toString(), "--store", store.toString(), "--run", "val", "--no-progress");
        assertThat(save.exitCode()).as(save.err()).isZero();
        CliRun offline = CliRun.of("concepts", "top", "--sae", sae, "--layer", "transformer.h.2", "--store",
                store.toString(), "--run", "val", "--latents", Integer.toString(latent), "--json");
        assertThat(offline.exitCode()).as(offline.err()).isZero();
        JsonNode o = JSON.readTree(offline.out());
        assertThat(o.get("latents").get(0).get("latent").asInt()).isEqualTo(latent);
        assertThat(o.get("latents").get(0).get("max_activation").asDouble())
                .isCloseTo(first.get("max_activation").asDouble(), org.assertj.core.data.Offset.offset(1e-3));

        CliRun alias = CliRun.of("concepts", "top", "--sae", sae, "--layer", "layer_2", "--store", store.toString(),
                "--run", "val", "--latents", Integer.toString(latent));
        assertThat(alias.exitCode()).as(alias.err()).isZero();
        assertThat(alias.out()).contains("top contexts at transformer.h.2");

        CliRun unknown = CliRun.of("concepts", "top", "--sae", sae, "--layer", "transformer.h.1", "--store",
                store.toString(), "--run", "val");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("unknown layer 'transformer.h.1'");
    }

    @Test
    void discoversNamesAndEditsADictionary() throws Exception {
        Path dict = dir.resolve("concepts.json");
        CliRun discover = CliRun.of("concepts", "discover", "--sae", sae, "--layer", "transformer.h.2", "--limit",
                "20", "--min-f1", "0.05", "--out", dict.toString(), "--json");
        assertThat(discover.exitCode()).as(discover.err()).isZero();
        JsonNode m = JSON.readTree(discover.out());
        assertThat(m.get("stats").get("sentences").asLong()).isEqualTo(20);
        assertThat(m.get("tag_count").asInt()).isPositive();
        assertThat(m.get("top_tags").size()).isPositive();
        assertThat(m.get("top_tags").get(0).get("f1").isNumber()).isTrue();
        assertThat(m.get("genres").size()).isPositive();
        assertThat(dict).isRegularFile();
        assertThat(JSON.readTree(dict.toFile()).get("n_size").asInt()).isEqualTo(64);

        CliRun report = CliRun.of("concepts", "discover", "--sae", sae, "--limit", "10");
        assertThat(report.exitCode()).as(report.err()).isZero();
        assertThat(report.out()).contains("10 sentences", "POS tags with a latent of F1 >= 0.50", "Genres");

        CliRun name = CliRun.of("concepts", "name", "--dictionary", dict.toString(), "--latent", "7", "--name",
                "my-concept", "--description", "made by hand", "--score", "0.9");
        assertThat(name.exitCode()).as(name.err()).isZero();
        assertThat(name.out()).contains("latent 7 is now 'my-concept'");
        JsonNode saved = JSON.readTree(dict.toFile());
        assertThat(saved.toString()).contains("my-concept", "made by hand");
        CliRun remove = CliRun.of("concepts", "name", "--dictionary", dict.toString(), "--latent", "7", "--remove");
        assertThat(remove.exitCode()).as(remove.err()).isZero();
        assertThat(Files.readString(dict)).doesNotContain("my-concept");

        Path fresh = dir.resolve("fresh.json");
        CliRun noCount = CliRun.of("concepts", "name", "--dictionary", fresh.toString(), "--latent", "1", "--name", "x");
        assertThat(noCount.exitCode()).isEqualTo(1);
        assertThat(noCount.err()).contains("does not exist", "--sae");
        CliRun created = CliRun.of("concepts", "name", "--dictionary", fresh.toString(), "--sae", sae, "--latent",
                "1", "--name", "x");
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(JSON.readTree(fresh.toFile()).get("n_size").asInt()).isEqualTo(64);
        CliRun range = CliRun.of("concepts", "name", "--dictionary", fresh.toString(), "--latent", "64", "--name", "y");
        assertThat(range.exitCode()).isEqualTo(1);
        assertThat(range.err()).contains("latent 64 is out of range");
    }

    @Test
    void exportsAndWritesADashboard() throws Exception {
        String t = texts.toString();
        for (String format : new String[] {"json", "csv", "neuronpedia"}) {
            Path out = dir.resolve("top." + format);
            CliRun export = CliRun.of("concepts", "export", "--sae", sae, "--layer", "transformer.h.2",
                    "--texts-file", t, "--format", format, "--out", out.toString(), "--count", "3");
            assertThat(export.exitCode()).as(export.err()).isZero();
            assertThat(export.out()).contains("wrote", out.toString());
            assertThat(out).isRegularFile();
        }
        assertThat(JSON.readTree(dir.resolve("top.json").toFile()).size()).isEqualTo(64);
        assertThat(Files.readString(dir.resolve("top.csv"))).startsWith("neuron_idx,text,score,token_str,token_idx");
        JsonNode batch = JSON.readTree(dir.resolve("top.neuronpedia").toFile());
        assertThat(batch.get("features").size()).isEqualTo(3);
        assertThat(batch.get("layer").asInt()).isEqualTo(2);
        assertThat(batch.get("sae_set").asText()).isEqualTo("microw");
        assertThat(batch.get("features").get(0).get("pos_str")).hasSize(10);

        Path dict = dir.resolve("names.json");
        assertThat(CliRun.of("concepts", "name", "--dictionary", dict.toString(), "--latents-count", "64",
                "--latent", "5", "--name", "fifth").exitCode()).isZero();
        Path html = dir.resolve("dash.html");
        CliRun dash = CliRun.of("concepts", "dashboard", "--sae", sae, "--texts-file", t, "--latents", "5,6",
                "--dictionary", dict.toString(), "--out", html.toString());
        assertThat(dash.exitCode()).as(dash.err()).isZero();
        assertThat(dash.out()).contains("dashboard of 2 latents");
        assertThat(Files.readString(html)).contains("<html", "fifth").doesNotContain("http://", "https://");
    }

    @Test
    void aDashboardFromAnExportedFileShowsTheSameContexts() throws Exception {
        String t = texts.toString();
        Path json = dir.resolve("exported.json");
        CliRun export = CliRun.of("concepts", "export", "--sae", sae, "--layer", "transformer.h.2", "--texts-file", t,
                "--format", "json", "--out", json.toString());
        assertThat(export.exitCode()).as(export.err()).isZero();
        Path fromTexts = dir.resolve("from-texts.html");
        CliRun live = CliRun.of("concepts", "dashboard", "--sae", sae, "--layer", "transformer.h.2", "--texts-file", t,
                "--count", "4", "--out", fromTexts.toString());
        assertThat(live.exitCode()).as(live.err()).isZero();
        String want = Files.readString(fromTexts);
        java.util.List<String> shown = java.util.regex.Pattern.compile("<section id=\"latent-(\\d+)\"").matcher(want)
                .results().map(m -> m.group(1)).toList();
        assertThat(shown).hasSize(4);

        Path fromFile = dir.resolve("from-file.html");
        CliRun dash = CliRun.of("concepts", "dashboard", "--sae", sae, "--top-texts", json.toString(), "--latents",
                String.join(",", shown), "--out", fromFile.toString());
        assertThat(dash.exitCode()).as(dash.err()).isZero();
        assertThat(dash.out()).contains("dashboard of 4 latents");
        String got = Files.readString(fromFile);
        assertThat(contexts(got)).as("the same contexts as the dashboard of the texts").isEqualTo(contexts(want))
                .hasSizeGreaterThan(4);
        assertThat(got).contains("Firing statistics unknown").doesNotContain("firing frequency");

        Path wrong = dir.resolve("two-latents.json");
        Files.writeString(wrong, "{\"0\": [], \"1\": []}");
        CliRun mismatch = CliRun.of("concepts", "dashboard", "--sae", sae, "--top-texts", wrong.toString(), "--out",
                dir.resolve("x.html").toString());
        assertThat(mismatch.exitCode()).isEqualTo(Main.EXIT_ERROR);
        assertThat(mismatch.err()).contains("two-latents.json holds 2 latents; the SAE has 64");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "dashboard", "--sae", sae, "--top-texts", json.toString(),
                "--texts-file", t, "--out", dir.resolve("x.html").toString()), "--top-texts FILE replaces");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "dashboard", "--sae", sae, "--texts-file", t, "--statistics",
                json.toString(), "--out", dir.resolve("x.html").toString()), "--statistics goes with --top-texts");
    }

    /** The context lines of a dashboard, in order. */
    private static java.util.List<String> contexts(String html) {
        return html.lines().filter(l -> l.startsWith("<div class=\"ctx\"")).toList();
    }

    @Test
    void usageErrorsExitOne() {
        String t = texts.toString();
        SaeCommandTest.expectUsage(CliRun.of("concepts"), "name a subcommand");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "top", "--sae", sae), "--store DIR --run ID");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "top", "--sae", sae, "--texts-file", t, "--brown",
                "validation"), "one of");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "top", "--sae", sae, "--texts-file", t, "--latents", "99"),
                "latent 99 is out of range");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "top", "--sae", sae, "--texts-file", t, "--layer",
                "transformer.h.8"), "unknown layer 'transformer.h.8'");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "top", "--texts-file", t), "--sae");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "discover", "--sae", sae, "--min-f1", "2"), "--min-f1");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "export", "--sae", sae, "--texts-file", t, "--format",
                "xml", "--out", dir.resolve("x").toString()), "unknown --format 'xml'");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "dashboard", "--sae", sae, "--texts-file", t),
                "--out");
        SaeCommandTest.expectUsage(CliRun.of("concepts", "name", "--dictionary", dir.resolve("d.json").toString(),
                "--latent", "1"), "--name NAME, or --remove");
    }

    @Test
    void everySubcommandHasHelpWithAnExample() {
        for (String sub : new String[] {"top", "discover", "name", "export", "dashboard"}) {
            CliRun help = CliRun.of("concepts", sub, "--help");
            assertThat(help.exitCode()).isZero();
            assertThat(help.out()).contains("Usage: microw concepts " + sub, "Example", "microw concepts " + sub + " --");
        }
    }
}
