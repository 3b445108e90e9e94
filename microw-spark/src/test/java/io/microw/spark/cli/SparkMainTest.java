package io.microw.spark.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.spark.ActivationsManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
        String[] extract = {"extract", "--master", "local[2]", "--texts", texts.toString(), "--layers",
            "transformer.h.1", "--output", out};
        assertThat(SparkMain.run(extract)).isZero();
        JsonNode manifest = new ObjectMapper().readTree(Path.of(out, ActivationsManifest.FILE).toFile());
        assertThat(manifest.path("texts").asLong()).isEqualTo(3);
        assertThat(manifest.path("layers").get(0).path("column").asText()).isEqualTo("transformer_h_1");

        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int again;
        try {
            again = SparkMain.run(extract);
        } finally {
            System.setErr(err);
        }
        assertThat(again).isEqualTo(1);
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("already exists").contains("--overwrite");

        Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 256, 32, 4), 3).save(dir.resolve("sae"));
        Path stats = dir.resolve("stats.json");
        assertThat(SparkMain.run("stats", "--master", "local[2]", "--input", out, "--layer", "transformer.h.1",
                "--sae", dir.resolve("sae").toString(), "--output", stats.toString())).isZero();
        JsonNode s = new ObjectMapper().readTree(stats.toFile());
        assertThat(s.path("tokens").asLong()).isEqualTo(manifest.path("rows").asLong() - manifest.path(
                "special_tokens").asLong());
        assertThat(s.path("latents")).hasSize(32);

        Path top = dir.resolve("top.json");
        assertThat(SparkMain.run("top-texts", "--master", "local[2]", "--input", out, "--layer", "transformer.h.1",
                "--sae", dir.resolve("sae").toString(), "--top-k", "2", "--output", top.toString())).isZero();
        JsonNode t = new ObjectMapper().readTree(top.toFile());
        assertThat(t.size()).isEqualTo(32);
        assertThat(t.path("0").size()).isLessThanOrEqualTo(2);
    }

    @Test
    void refusesARemoteMaster() {
        assertThat(SparkMain.run("extract", "--master", "spark://10.1.2.3:7077", "--texts", "x.txt", "--layers",
                "transformer.h.0", "--output", dir.resolve("o").toString())).isEqualTo(1);
    }
}
