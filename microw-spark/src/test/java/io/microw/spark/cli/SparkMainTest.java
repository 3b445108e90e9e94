package io.microw.spark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.cli.Main;
import io.microw.spark.ActivationsManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SparkMainTest {

    @TempDir
    Path dir;

    @Test
    void extractThenStatsAndTopTextsFromTheCommandLine() throws Exception {
        Path texts = dir.resolve("texts.txt");
        Files.write(texts, List.of("The jury said the election was conducted well.", "It rained in Atlanta.",
                "Mayor Allen won the primary."));
        String out = dir.resolve("acts").toString();
        String[] extract = {"spark", "extract", "--master", "local[2]", "--texts", texts.toString(), "--layers",
            "transformer.h.1", "--output", out};
        assertThat(Microw.run(extract).code()).isZero();
        JsonNode manifest = new ObjectMapper().readTree(Path.of(out, ActivationsManifest.FILE).toFile());
        assertThat(manifest.path("texts").asLong()).isEqualTo(3);
        assertThat(manifest.path("layers").get(0).path("column").asText()).isEqualTo("transformer_h_1");

        Microw again = Microw.run(extract);
        assertThat(again.code()).isEqualTo(Main.EXIT_ERROR);
        assertThat(again.err()).contains("already exists").contains("--overwrite");

        Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 32, 4), 3).save(dir.resolve("sae"));
        Path stats = dir.resolve("stats.json");
        assertThat(SparkMain.run("stats", "--master", "local[2]", "--input", out, "--layer", "transformer.h.1",
                "--sae", dir.resolve("sae").toString(), "--output", stats.toString())).isZero();
        JsonNode s = new ObjectMapper().readTree(stats.toFile());
        assertThat(s.path("tokens").asLong()).isEqualTo(manifest.path("rows").asLong() - manifest.path(
                "special_tokens").asLong());
        assertThat(s.path("latents")).hasSize(32);
        Path fromTexts = dir.resolve("stats-texts.json");
        assertThat(Microw.run("spark", "stats", "--master", "local[2]", "--texts", texts.toString(), "--layer",
                "transformer.h.1", "--sae", dir.resolve("sae").toString(), "--output", fromTexts.toString()).code())
                .isZero();
        JsonNode t2 = new ObjectMapper().readTree(fromTexts.toFile());
        assertThat(t2.path("tokens")).isEqualTo(s.path("tokens"));
        for (int l = 0; l < 32; l++) {
            assertThat(t2.path("latents").get(l).path("firings")).isEqualTo(s.path("latents").get(l).path("firings"));
            assertThat(t2.path("latents").get(l).path("histogram")).isEqualTo(s.path("latents").get(l)
                    .path("histogram"));
        }

        Path top = dir.resolve("top.json");
        assertThat(SparkMain.run("top-texts", "--master", "local[2]", "--input", out, "--layer", "transformer.h.1",
                "--sae", dir.resolve("sae").toString(), "--top-k", "2", "--output", top.toString())).isZero();
        JsonNode t = new ObjectMapper().readTree(top.toFile());
        assertThat(t.size()).isEqualTo(32);
        assertThat(t.path("0").size()).isLessThanOrEqualTo(2);

        // the exported contexts and statistics load into the dashboard
        Path html = dir.resolve("dashboard.html");
        Microw dash = Microw.run("concepts", "dashboard", "--sae", dir.resolve("sae").toString(), "--top-texts",
                top.toString(), "--statistics", stats.toString(), "--count", "3", "--out", html.toString());
        assertThat(dash.code()).as(dash.err()).isZero();
        assertThat(dash.out()).contains("dashboard of 3 latents");
        String page = Files.readString(html);
        assertThat(page).contains(s.path("tokens").asLong() + " tokens tracked", "firing frequency", "<svg",
                "class=\"ctx\"").doesNotContain("statistics unknown");
    }

    @Test
    void extractWritesTheLayoutAsked() throws Exception {
        Path texts = dir.resolve("texts.txt");
        Files.write(texts, List.of("It rained in Atlanta.", "Mayor Allen won the primary."));
        String out = dir.resolve("binary").toString();
        Microw run = Microw.run("spark", "extract", "--master", "local[2]", "--texts", texts.toString(), "--layers",
                "transformer.h.1", "--output", out, "--layout", "binary");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("(binary)");
        JsonNode manifest = new ObjectMapper().readTree(Path.of(out, ActivationsManifest.FILE).toFile());
        assertThat(manifest.path("layout").asText()).isEqualTo("binary");

        Microw bad = Microw.run("spark", "extract", "--master", "local[2]", "--texts", texts.toString(), "--layers",
                "transformer.h.1", "--output", dir.resolve("never").toString(), "--layout", "floats");
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("'floats'", "float-array or binary");
    }

    @Test
    void refusesARemoteMaster() {
        Microw run = Microw.run("spark", "extract", "--master", "spark://10.1.2.3:7077", "--texts", "x.txt",
                "--layers", "transformer.h.0", "--output", dir.resolve("o").toString());
        assertThat(run.code()).isEqualTo(Main.EXIT_ERROR);
        assertThat(run.err()).contains("10.1.2.3");
    }

    @Test
    void annotateWithNothingToComputeIsAUsageError() {
        Microw run = Microw.run("spark", "annotate", "--master", "local[1]", "--texts", "x.txt", "--output",
                dir.resolve("o").toString());
        assertThat(run.code()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run.err()).contains("--concepts", "--direction");
    }

    @Test
    void anSaeMissingOnTheExecutorsIsOneLineAtTheDriver() throws Exception {
        Path texts = dir.resolve("t.txt");
        Files.write(texts, List.of("It rained in Atlanta."));
        Path concepts = dir.resolve("concepts.json");
        Files.writeString(concepts, "{\"n_size\": 32, \"concepts\": {\"0\": {\"name\": \"rain\", \"score\": 1}}}");
        Microw run = Microw.run("spark", "annotate", "--master", "local[1]", "--texts", texts.toString(), "--layer",
                "transformer.h.1", "--sae", dir.resolve("no-sae").toString(), "--concepts", concepts.toString(),
                "--output", dir.resolve("annotated").toString());
        assertThat(run.code()).isEqualTo(Main.EXIT_ERROR);
        assertThat(run.err().strip().lines()).singleElement().asString()
                .startsWith("microw: error: cannot load the SAE").contains("no-sae").doesNotContain("Job aborted");
    }

    @Test
    void microwSparkHelpListsTheJobs() {
        Microw top = Microw.run("--help");
        assertThat(top.out()).contains("spark");
        Microw help = Microw.run("spark", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage: microw spark", "extract", "stats", "top-texts", "annotate", "bench");
    }

    /** {@code microw ARGS} run in-process: exit code, stdout and stderr. */
    private record Microw(int code, String out, String err) {
        static Microw run(String... args) {
            CommandLine cmd = Main.commandLine();
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            cmd.setOut(new PrintWriter(out, true));
            cmd.setErr(new PrintWriter(err, true));
            int code = cmd.execute(args);
            return new Microw(code, out.toString(), err.toString());
        }
    }
}
