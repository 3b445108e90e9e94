package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code microw demo --quick} end to end: the report's files, its numbers, and reuse of finished steps. */
class DemoCommandTest {

    @TempDir
    static Path tmp;

    private static Path out;
    private static CliRun first;

    @BeforeAll
    static void runQuickDemo() {
        out = tmp.resolve("demo");
        first = CliRun.of("demo", "--quick", "--no-progress", "--out", out.toString());
    }

    @Test
    void quickDemoRunsEveryStepAndSaysWhereTheReportIs() {
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("[1/6] Save activations", "[2/6] Train a TopK SAE",
                "[3/6] Evaluate on the validation split", "[4/6] Concepts", "[5/6] Steer with a discovered concept",
                "[6/6] Write the report", "Report: " + out.resolve("report").resolve("index.html").toAbsolutePath())
                .doesNotContain("reusing");
        assertThat(out.resolve("store")).isDirectory();
        assertThat(out.resolve("sae").resolve("cfg.json")).isRegularFile();
        assertThat(out.resolve("state.json")).isRegularFile();
    }

    @Test
    void reportHasSanePngsAndOnlyLocalReferences() throws Exception {
        assertThat(first.exitCode()).as(first.err()).isZero();
        Path report = out.resolve("report");
        for (String png : List.of(DemoReport.TRAINING_PNG, DemoReport.FREQUENCY_PNG, DemoReport.STEERING_PNG)) {
            BufferedImage img = ImageIO.read(report.resolve(png).toFile());
            assertThat(img).as(png).isNotNull();
            assertThat(img.getWidth()).as(png).isBetween(300, 3000);
            assertThat(img.getHeight()).as(png).isBetween(100, 3000);
        }
        String html = Files.readString(report.resolve("index.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").doesNotContainIgnoringCase("http:")
                .doesNotContainIgnoringCase("https:").doesNotContainIgnoringCase("<script")
                .contains("<img src=\"" + DemoReport.TRAINING_PNG + "\"", DemoReport.FREQUENCY_PNG,
                        DemoReport.STEERING_PNG, "class=\"ctx\"");
        List<String> refs = new ArrayList<>();
        Matcher m = Pattern.compile("(?:src|href)\\s*=\\s*\"([^\"]*)\"").matcher(html);
        while (m.find()) {
            refs.add(m.group(1));
        }
        assertThat(refs).hasSizeGreaterThanOrEqualTo(4);
        for (String ref : refs) {
            assertThat(ref).doesNotContain("//").doesNotStartWith("/");
            assertThat(report.resolve(ref)).as(ref).isRegularFile();
        }
    }

    @Test
    void resultsJsonNumbersParse() throws Exception {
        assertThat(first.exitCode()).as(first.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(out.resolve("report").resolve(DemoReport.RESULTS_JSON).toFile());
        assertThat(r.path("mode").asText()).isEqualTo("quick");
        assertThat(r.path("store").path("real_tokens").asLong()).isPositive();
        assertThat(r.path("training").path("steps").asLong()).isPositive();
        JsonNode eval = r.path("eval");
        assertThat(eval.path("explained_variance").isNumber()).as(eval.toString()).isTrue();
        assertThat(eval.path("explained_variance").asDouble()).isBetween(-1.0, 1.0);
        assertThat(eval.path("ce_loss_score").isNumber()).as(eval.toString()).isTrue();
        assertThat(Double.isFinite(eval.path("ce_loss_score").asDouble())).isTrue();
        assertThat(eval.path("l0").asDouble()).isBetween(0.0, 8.0);
        assertThat(r.path("concepts").path("pos_tags_f1_at_least_0_5").isInt()).isTrue();
        assertThat(r.path("concepts").path("pos_tags_seen").asInt()).isPositive();
        JsonNode steer = r.path("steering");
        assertThat(steer.path("share_before").asDouble()).isBetween(0.0, 1.0);
        assertThat(steer.path("share_after").asDouble()).isBetween(0.0, 1.0);
        assertThat(steer.path("texts")).hasSize(4);
    }

    @Test
    void secondRunReusesFinishedStepsAndFreshRedoesThem() throws Exception {
        assertThat(first.exitCode()).as(first.err()).isZero();
        CliRun again = CliRun.of("demo", "--quick", "--no-progress", "--out", out.toString());
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).contains("reusing run brown-train-h2", "reusing the SAE", "reusing the evaluation",
                "Report: ");
        assertThat(out.resolve("report").resolve("index.html")).isRegularFile();

        Path other = tmp.resolve("fresh");
        Files.createDirectories(other);
        Files.writeString(other.resolve("state.json"), "{}");
        CliRun fresh = CliRun.of("demo", "--quick", "--no-progress", "--fresh", "--out", other.toString());
        assertThat(fresh.exitCode()).as(fresh.err()).isZero();
        assertThat(fresh.out()).doesNotContain("reusing");
    }

    @Test
    void unknownOptionIsUsageError() {
        CliRun run = CliRun.of("demo", "--bogus");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--bogus");
    }
}
