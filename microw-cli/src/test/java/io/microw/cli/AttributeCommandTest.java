package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.analysis.ActivationPatching;
import io.microw.analysis.AttributionPatching;
import io.microw.analysis.IntegratedGradients;
import io.microw.analysis.PatchingResult;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.microw.cli.PatchCommandTest.assertUsage;
import static io.microw.cli.PatchCommandTest.assertValidPng;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code microw attribute} on brown-gpt2: each method's table, PNG and JSON hold the core API's values. */
class AttributeCommandTest {

    static final String CLEAN = "The man in the car said that";
    static final String CORRUPT = "The woman in the car said that";
    static final String ANSWER = " he";
    static final String WRONG = " she";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static LanguageModel lm;
    private static long[][] clean;
    private static long[][] corrupt;
    private static LogitMetric metric;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        clean = new long[][] {lm.tokenizer().encode(CLEAN)};
        corrupt = new long[][] {lm.tokenizer().encode(CORRUPT)};
        metric = LogitMetric.logitDiff(lm.tokenizer().encode(ANSWER)[0], lm.tokenizer().encode(WRONG)[0]);
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private CliRun attribute(String... more) {
        List<String> args = new ArrayList<>(List.of("attribute", "--clean", CLEAN, "--corrupt", CORRUPT, "--answer",
                ANSWER, "--wrong", WRONG, "--out", dir.toString(), "--no-progress"));
        args.addAll(List.of(more));
        return CliRun.of(args.toArray(String[]::new));
    }

    private static JsonNode ok(CliRun run) throws Exception {
        assertThat(run.exitCode()).as(run.err()).isZero();
        return JSON.readTree(run.out());
    }

    @Test
    void atpResidPreJsonAndFilesEqualTheCoreSweep() throws Exception {
        PatchingResult expected = AttributionPatching.residPre(lm, clean, corrupt, metric);
        JsonNode doc = ok(attribute("--method", "atp", "--json"));
        assertThat(doc.path("method").asText()).isEqualTo("atp");
        assertThat(doc.path("what").asText()).isEqualTo("resid-pre");
        assertSame(doc, expected);
        assertThat(doc.path("columns").get(1).asText()).isEqualTo("1 ' man'/' woman'");
        assertThat(doc.has("exact")).isFalse();

        Path png = dir.resolve("attribute-atp-resid-pre.png");
        Path json = dir.resolve("attribute-atp-resid-pre.json");
        assertThat(doc.path("files").path("png").asText()).isEqualTo(png.toString());
        assertThat(doc.path("files").path("json").asText()).isEqualTo(json.toString());
        assertValidPng(png);
        assertSame(JSON.readTree(json.toFile()), expected);
    }

    @Test
    void atpIsTheDefaultMethodAndItsHeadsTablePrintsTheCoreValues() {
        PatchingResult expected = AttributionPatching.attnHeads(lm, clean, corrupt, metric);
        CliRun run = attribute("--what", "heads");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("attribution patching of heads",
                String.format(Locale.ROOT, "metric %.4f", expected.cleanMetric()),
                String.format(Locale.ROOT, "metric %.4f", expected.corruptMetric()),
                "wrote " + dir.resolve("attribute-atp-heads.png"), "wrote " + dir.resolve("attribute-atp-heads.json"));
        assertRows(run.out(), expected.rowLabels(), expected.values());
        assertValidPng(dir.resolve("attribute-atp-heads.png"));
    }

    @Test
    void compareRunsTheExactSweepAndCorrelatesIt() throws Exception {
        PatchingResult estimate = AttributionPatching.mlpOut(lm, clean, corrupt, metric);
        PatchingResult exact = ActivationPatching.mlpOut(lm, clean, corrupt, metric);
        JsonNode doc = ok(attribute("--what", "mlp-out", "--compare", "--max-batch", "5", "--json"));
        assertSame(doc, estimate);
        JsonNode e = doc.path("exact");
        assertThat(e.path("corrupt_metric").asDouble()).isCloseTo(exact.corruptMetric(), within(1e-5));
        assertCells(e.path("values"), exact.values());
        double r = pearson(estimate.values(), exact.values());
        assertThat(r).as("brown-gpt2's mlp_out attribution tracks exact patching (0.997 in the docs)")
                .isGreaterThan(0.95);
        assertThat(e.path("pearson").asDouble()).isCloseTo(r, within(1e-5));
        assertValidPng(dir.resolve("attribute-atp-mlp-out-exact.png"));
        assertThat(doc.path("files").path("png_exact").asText())
                .isEqualTo(dir.resolve("attribute-atp-mlp-out-exact.png").toString());

        CliRun table = attribute("--what", "mlp-out", "--compare");
        assertThat(table.exitCode()).as(table.err()).isZero();
        assertThat(table.out()).contains("exact mlp-out patching (--compare):",
                String.format(Locale.ROOT, "Pearson r %.4f (estimated with exact values)", r));
    }

    @Test
    void gradDropEqualsTheCoreSweepAndCorrelatesMagnitudes() throws Exception {
        PatchingResult expected = AttributionPatching.defaults().withGradDrop().residPre(lm, clean, corrupt, metric);
        PatchingResult exact = ActivationPatching.residPre(lm, clean, corrupt, metric);
        JsonNode doc = ok(attribute("--grad-drop", "--compare", "--json"));
        assertThat(doc.path("grad_drop").asBoolean()).isTrue();
        assertSame(doc, expected);
        float[][] magnitudes = new float[exact.values().length][];
        float[][] gradDrop = new float[exact.values().length][];
        for (int r = 0; r < magnitudes.length; r++) {
            magnitudes[r] = new float[exact.values()[r].length];
            gradDrop[r] = new float[exact.values()[r].length];
            for (int c = 0; c < magnitudes[r].length; c++) {
                magnitudes[r][c] = Math.abs(exact.values()[r][c] - exact.corruptMetric());
                gradDrop[r][c] = expected.values()[r][c] - expected.corruptMetric();
            }
        }
        assertThat(doc.path("exact").path("pearson").asDouble()).isCloseTo(pearson(gradDrop, magnitudes),
                within(1e-5));
    }

    @Test
    void integratedGradientsEqualTheCoreAndAreComplete() throws Exception {
        IntegratedGradients.Result expected = IntegratedGradients.defaults().withSteps(16)
                .attribute(lm, clean[0], metric);
        JsonNode doc = ok(attribute("--method", "ig", "--steps", "16", "--max-batch", "5", "--json"));
        assertThat(doc.path("steps").asInt()).isEqualTo(16);
        assertThat(doc.path("baseline").asText()).isEqualTo("zero");
        assertTokenRow(doc, "ig", expected.attributions());
        assertThat(doc.path("clean_metric").asDouble()).isCloseTo(expected.metricAtInput(), within(1e-5));
        assertThat(doc.path("baseline_metric").asDouble()).isCloseTo(expected.metricAtBaseline(), within(1e-5));
        assertThat(doc.path("corrupt_metric").asDouble())
                .isCloseTo(IntegratedGradients.saliency(lm, corrupt[0], metric).metric(), within(1e-5));
        double difference = doc.path("clean_metric").asDouble() - doc.path("baseline_metric").asDouble();
        assertThat(doc.path("sum").asDouble()).isCloseTo(difference, within(0.01 * Math.abs(difference)));
        assertValidPng(dir.resolve("attribute-ig.png"));
        assertThat(JSON.readTree(dir.resolve("attribute-ig.json").toFile()).path("values"))
                .isEqualTo(doc.path("values"));
    }

    @Test
    void integratedGradientsFromATokenBaselineEqualTheCore() throws Exception {
        long eos = lm.tokenizer().encode("<|endoftext|>")[0];
        IntegratedGradients.Result expected = IntegratedGradients.defaults().withBaselineToken(eos)
                .attribute(lm, clean[0], metric);
        CliRun run = attribute("--method", "ig", "--baseline", "<|endoftext|>");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("integrated gradients over the clean tokens, 32 steps from the baseline token "
                + "\"<|endoftext|>\"", String.format(Locale.ROOT, "baseline metric %.4f", expected.metricAtBaseline()),
                String.format(Locale.ROOT, "sum to %.4f", expected.sum()));
        JsonNode doc = JSON.readTree(dir.resolve("attribute-ig.json").toFile());
        assertThat(doc.path("baseline_id").asLong()).isEqualTo(eos);
        assertTokenRow(doc, "ig", expected.attributions());
    }

    @Test
    void saliencyTablePrintsTheCoreValuesPerToken() throws Exception {
        IntegratedGradients.Saliency expected = IntegratedGradients.saliency(lm, clean[0], metric);
        CliRun run = attribute("--method", "saliency");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("gradient x input saliency over the clean tokens",
                String.format(Locale.ROOT, "metric %.4f", expected.metric()),
                "wrote " + dir.resolve("attribute-saliency.png"));
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < clean[0].length; i++) {
            tokens.add(i + " '" + lm.tokenizer().decode(new long[] {clean[0][i]}, false) + "'");
        }
        float[][] perToken = new float[tokens.size()][];
        for (int i = 0; i < perToken.length; i++) {
            perToken[i] = new float[] {expected.values()[i]};
        }
        assertRows(run.out(), tokens, perToken);
        assertValidPng(dir.resolve("attribute-saliency.png"));
        assertTokenRow(JSON.readTree(dir.resolve("attribute-saliency.json").toFile()), "saliency", expected.values());
    }

    @Test
    void badInputIsOneLineUsageError() {
        assertUsage(attribute("--method", "shap"), "'shap' is not one of atp, ig, saliency");
        assertUsage(attribute("--what", "resid-mid"), "'resid-mid' is not one of resid-pre, attn-out, mlp-out, heads "
                + "(attribution patching has no estimate of resid-mid; exact patching of resid-mid measures it)");
        assertUsage(attribute("--what", "everything"), "'everything' is not one of resid-pre, attn-out, mlp-out, "
                + "heads");
        assertUsage(attribute("--method", "ig", "--compare"), "--compare is for --method atp, not --method ig");
        assertUsage(attribute("--method", "saliency", "--what", "heads"), "--what is for --method atp, not --method "
                + "saliency");
        assertUsage(attribute("--steps", "8"), "--steps is for --method ig, not --method atp");
        assertUsage(attribute("--method", "saliency", "--baseline", " the"), "--baseline is for --method ig, not "
                + "--method saliency");
        assertUsage(attribute("--method", "ig", "--steps", "0"), "--steps must be 1..10000, got 0");
        assertUsage(attribute("--method", "ig", "--max-batch", "0"), "--max-batch must be at least 1, got 0");
        assertUsage(attribute("--max-batch", "4"), "--max-batch is for --method ig and --compare, not --method atp "
                + "alone");

        int two = lm.tokenizer().encode(" he said").length;
        assertThat(two).isGreaterThan(1);
        assertUsage(CliRun.of("attribute", "--clean", CLEAN, "--corrupt", CORRUPT, "--answer", " he said", "--wrong",
                WRONG, "--out", dir.toString()), "--answer \" he said\" must be exactly one token, but it is " + two
                + " tokens");
        assertUsage(attribute("--method", "ig", "--baseline", " the car"), "--baseline \" the car\" must be exactly "
                + "one token");

        String shorter = "The woman said that";
        int shorterLength = lm.tokenizer().encode(shorter).length;
        for (String what : List.of("resid-pre", "heads")) {
            assertUsage(CliRun.of("attribute", "--clean", CLEAN, "--corrupt", shorter, "--answer", ANSWER, "--wrong",
                    WRONG, "--what", what, "--out", dir.toString()), "the clean prompt has " + clean[0].length
                    + " tokens but the corrupted one has " + shorterLength);
        }
        try (var files = Files.list(dir)) {
            assertThat(files).as("no file is written for a refused command line").isEmpty();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void saliencyAndIgTakeACorruptedPromptOfAnotherLength() throws Exception {
        String shorter = "The woman said that";
        JsonNode doc = ok(CliRun.of("attribute", "--clean", CLEAN, "--corrupt", shorter, "--answer", ANSWER,
                "--wrong", WRONG, "--method", "saliency", "--out", dir.toString(), "--json"));
        long[] shorterIds = lm.tokenizer().encode(shorter);
        assertThat(doc.path("corrupt_tokens").size()).isEqualTo(shorterIds.length);
        assertThat(doc.path("corrupt_metric").asDouble())
                .isCloseTo(IntegratedGradients.saliency(lm, shorterIds, metric).metric(), within(1e-5));
    }

    @Test
    void helpListsTheMethodsAndSites() {
        CliRun help = CliRun.of("attribute", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out().replaceAll("\\s+", " ")).contains("One of atp, ig, saliency",
                "one of resid-pre, attn-out, mlp-out, heads", "--baseline=zero|TOKEN", "--steps=N", "--compare",
                "--grad-drop", "--clean=TEXT", "--corrupt=TEXT");
        assertThat(CliRun.of("--help").out()).contains("attribute");
    }

    /** The table's line for each row label holds the row's values (four decimals). */
    private static void assertRows(String out, List<String> rows, float[][] values) {
        for (int r = 0; r < rows.size(); r++) {
            String label = rows.get(r);
            String line = out.lines().filter(l -> l.startsWith(label + " ")).findFirst().orElseThrow(
                    () -> new AssertionError("no line for " + label + " in\n" + out));
            String[] cells = line.substring(label.length()).trim().split("\\s+");
            assertThat(cells).as(line).hasSize(values[r].length);
            for (int c = 0; c < values[r].length; c++) {
                assertThat(Double.parseDouble(cells[c])).as(line).isCloseTo(values[r][c], within(1e-4));
            }
        }
    }

    private void assertTokenRow(JsonNode doc, String row, float[] expected) {
        assertThat(doc.path("rows").toString()).isEqualTo("[\"" + row + "\"]");
        assertThat(doc.path("columns").size()).isEqualTo(clean[0].length);
        assertThat(doc.path("columns").get(1).asText()).isEqualTo("1 ' man'");
        assertCells(doc.path("values"), new float[][] {expected});
    }

    private static void assertSame(JsonNode doc, PatchingResult expected) {
        assertThat(doc.path("clean_metric").asDouble()).isCloseTo(expected.cleanMetric(), within(1e-5));
        assertThat(doc.path("corrupt_metric").asDouble()).isCloseTo(expected.corruptMetric(), within(1e-5));
        assertThat(doc.path("rows").size()).isEqualTo(expected.rowLabels().size());
        assertThat(doc.path("rows").get(2).asText()).isEqualTo(expected.rowLabels().get(2));
        assertCells(doc.path("values"), expected.values());
    }

    private static void assertCells(JsonNode values, float[][] expected) {
        assertThat(values.size()).isEqualTo(expected.length);
        for (int r = 0; r < expected.length; r++) {
            assertThat(values.get(r).size()).isEqualTo(expected[r].length);
            for (int c = 0; c < expected[r].length; c++) {
                assertThat(values.get(r).get(c).asDouble()).as("cell %d, %d", r, c)
                        .isCloseTo(expected[r][c], within(1e-5));
            }
        }
    }

    /** Pearson's r over every cell, computed here independently of the command. */
    private static double pearson(float[][] x, float[][] y) {
        List<double[]> pairs = new ArrayList<>();
        for (int r = 0; r < x.length; r++) {
            for (int c = 0; c < x[r].length; c++) {
                pairs.add(new double[] {x[r][c], y[r][c]});
            }
        }
        double mx = pairs.stream().mapToDouble(p -> p[0]).average().orElseThrow();
        double my = pairs.stream().mapToDouble(p -> p[1]).average().orElseThrow();
        double sxy = pairs.stream().mapToDouble(p -> (p[0] - mx) * (p[1] - my)).sum();
        double sxx = pairs.stream().mapToDouble(p -> (p[0] - mx) * (p[0] - mx)).sum();
        double syy = pairs.stream().mapToDouble(p -> (p[1] - my) * (p[1] - my)).sum();
        return sxy / Math.sqrt(sxx * syy);
    }
}
