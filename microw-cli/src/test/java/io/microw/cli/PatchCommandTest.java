package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.analysis.ActivationPatching;
import io.microw.analysis.PatchSite;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.PathPatching;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PatchCommandTest {

    static final String CLEAN = "The man said that the woman";
    static final String CORRUPT = "The woman said that the woman";
    static final String ANSWER = " was";
    static final String WRONG = " had";
    /** A corrupted prompt with more tokens than {@link #CLEAN}. */
    static final String LONGER = "The old woman said that the woman";
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

    private CliRun patch(String what, String... more) {
        String[] base = {"patch", "--clean", CLEAN, "--corrupt", CORRUPT, "--answer", ANSWER, "--wrong", WRONG,
            "--what", what, "--out", dir.toString(), "--no-progress"};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return CliRun.of(args);
    }

    @Test
    void residPreJsonAndFilesEqualTheCoreSweep() throws Exception {
        PatchingResult expected = ActivationPatching.defaults().residPre(lm, clean, corrupt, metric);
        CliRun run = patch("resid-pre", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode doc = JSON.readTree(run.out());
        assertSame(doc, expected);
        assertThat(doc.path("columns").size()).isEqualTo(clean[0].length);
        assertThat(doc.path("columns").get(1).asText()).isEqualTo("1 ' man'/' woman'");

        Path png = dir.resolve("patch-resid-pre.png");
        Path json = dir.resolve("patch-resid-pre.json");
        assertThat(doc.path("files").path("png").asText()).isEqualTo(png.toString());
        assertValidPng(png);
        assertSame(JSON.readTree(json.toFile()), expected);
    }

    @Test
    void headsTablePrintsTheCoreValues() {
        PatchingResult expected = ActivationPatching.defaults().attnHeads(lm, clean, corrupt, metric);
        CliRun run = patch("heads");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains(String.format(Locale.ROOT, "metric %.4f", expected.cleanMetric()),
                String.format(Locale.ROOT, "metric %.4f", expected.corruptMetric()),
                "wrote " + dir.resolve("patch-heads.png"), "wrote " + dir.resolve("patch-heads.json"));
        for (int r = 0; r < expected.values().length; r++) {
            String label = expected.rowLabels().get(r) + " ";
            String row = run.out().lines().filter(l -> l.startsWith(label)).findFirst().orElseThrow();
            String[] cells = row.trim().split("\\s+");
            assertThat(cells).hasSize(expected.values()[r].length + 1);
            for (int c = 0; c < expected.values()[r].length; c++) {
                assertThat(Double.parseDouble(cells[c + 1])).isCloseTo(expected.values()[r][c], within(1e-4));
            }
        }
        assertValidPng(dir.resolve("patch-heads.png"));
    }

    @Test
    void mlpOutJsonEqualsTheCoreSweep() throws Exception {
        CliRun run = patch("mlp-out", "--json", "--max-batch", "3");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertSame(JSON.readTree(run.out()), ActivationPatching.defaults().mlpOut(lm, clean, corrupt, metric));
    }

    @Test
    void helpListsEverySiteAndPath() {
        CliRun help = CliRun.of("patch", "--help");
        assertThat(help.exitCode()).isZero();
        List<String> names = new java.util.ArrayList<>(PatchSite.ids());
        names.add("path");
        assertThat(help.out().replaceAll("\\s+", " ")).contains("one of " + String.join(", ", names),
                "--receiver=L.H", "--channel=q|k|v", "--what path --receiver 3.0,3.1");
    }

    @Test
    void headsTakePromptsOfDifferentLengthsAsTheCoreDoes() throws Exception {
        long[][] longer = {lm.tokenizer().encode(LONGER)};
        assertThat(longer[0].length).isGreaterThan(clean[0].length);
        CliRun run = CliRun.of("patch", "--clean", CLEAN, "--corrupt", LONGER, "--answer", ANSWER, "--wrong", WRONG,
                "--what", "heads", "--out", dir.toString(), "--no-progress", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode doc = JSON.readTree(run.out());
        assertSame(doc, ActivationPatching.defaults().attnHeads(lm, clean, longer, metric));
        assertThat(doc.path("corrupt_tokens").size()).isEqualTo(longer[0].length);
    }

    @Test
    void attnPatternJsonEqualsTheCoreSweep() throws Exception {
        CliRun run = patch("attn-pattern", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode doc = JSON.readTree(run.out());
        assertSame(doc, ActivationPatching.defaults().attnPattern(lm, clean, corrupt, metric));
        assertThat(doc.path("columns").get(0).asText()).isEqualTo("head 0");
        assertValidPng(dir.resolve("patch-attn-pattern.png"));
    }

    @Test
    void pathPatchingIntoReceiversEqualsTheCore() throws Exception {
        int last = lm.config().numLayers() - 1;
        List<PathPatching.Head> receivers = List.of(new PathPatching.Head(last, 0), new PathPatching.Head(last, 1));
        PatchingResult expected = PathPatching.senders(lm, clean, corrupt, metric, PathPatching.Channel.K, receivers);
        CliRun run = patch("path", "--receiver", last + ".0," + last + ".1", "--channel", "k", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode doc = JSON.readTree(run.out());
        assertSame(doc, expected);
        assertThat(doc.path("receivers").toString()).isEqualTo("[\"" + last + ".0\",\"" + last + ".1\"]");
        assertThat(doc.path("channel").asText()).isEqualTo("k");
        assertThat(doc.path("columns").size()).isEqualTo(lm.config().numHeads());
        assertValidPng(dir.resolve("patch-path.png"));

        CliRun table = patch("path", "--receiver", last + ".0");
        assertThat(table.exitCode()).as(table.err()).isZero();
        assertThat(table.out()).contains("path patching", "into    [" + last + ".0] q input",
                "wrote " + dir.resolve("patch-path.png"));
    }

    @Test
    void badPathOptionsAreOneLineUsageErrors() {
        assertUsage(patch("path"), "--what path: path patching needs receivers: the heads the paths end at "
                + "(--receiver L.H[,L.H...] and --channel q|k|v)");
        assertUsage(patch("heads", "--receiver", "1.0"), "--what heads: receivers and a channel are for path "
                + "patching, not for 'heads'");
        assertUsage(patch("resid-pre", "--channel", "v"), "--what resid-pre: receivers and a channel are for path "
                + "patching");
        assertUsage(patch("path", "--receiver", "1:0"), "'1:0' is not a head: write LAYER.HEAD");
        assertUsage(patch("path", "--receiver", "1.0", "--channel", "o"), "'o' is not one of q, k, v");
        int layers = lm.config().numLayers();
        assertUsage(patch("path", "--receiver", layers + ".0"), "head blocks." + layers + " head 0 is out of range");
        assertThat(Files.exists(dir.resolve("patch-path.png"))).isFalse();
    }

    @Test
    void badInputIsOneLineUsageError() {
        int cleanLength = clean[0].length;
        int longer = lm.tokenizer().encode(LONGER).length;
        String receiver = (lm.config().numLayers() - 1) + ".0";
        for (List<String> what : List.of(List.of("resid-pre"), List.of("attn-pattern"),
                List.of("path", "--receiver", receiver))) {
            List<String> args = new java.util.ArrayList<>(List.of("patch", "--clean", CLEAN, "--corrupt", LONGER,
                    "--answer", ANSWER, "--wrong", WRONG, "--out", dir.toString(), "--what"));
            args.addAll(what);
            assertUsage(CliRun.of(args.toArray(String[]::new)), "the clean prompt has " + cleanLength
                    + " tokens but the corrupted one has " + longer);
        }

        int two = lm.tokenizer().encode(" was not").length;
        CliRun multi = CliRun.of("patch", "--clean", CLEAN, "--corrupt", CORRUPT, "--answer", " was not", "--wrong",
                WRONG, "--out", dir.toString());
        assertUsage(multi, "--answer \" was not\" must be exactly one token, but it is " + two + " tokens");
        assertThat(two).isGreaterThan(1);

        assertUsage(patch("everything"), "'everything' is not one of " + String.join(", ", PatchSite.ids())
                + ", path");
        assertThat(Files.exists(dir.resolve("patch-everything.png"))).isFalse();
    }

    static void assertUsage(CliRun run, String message) {
        assertThat(run.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(run.err().strip().lines().count()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).startsWith("microw: error: ").contains(message);
    }

    private static void assertSame(JsonNode doc, PatchingResult expected) {
        assertThat(doc.path("clean_metric").asDouble()).isCloseTo(expected.cleanMetric(), within(1e-5));
        assertThat(doc.path("corrupt_metric").asDouble()).isCloseTo(expected.corruptMetric(), within(1e-5));
        assertThat(doc.path("rows").size()).isEqualTo(expected.rowLabels().size());
        assertThat(doc.path("rows").get(2).asText()).isEqualTo(expected.rowLabels().get(2));
        float[][] values = expected.values();
        assertThat(doc.path("values").size()).isEqualTo(values.length);
        for (int r = 0; r < values.length; r++) {
            assertThat(doc.path("values").get(r).size()).isEqualTo(values[r].length);
            for (int c = 0; c < values[r].length; c++) {
                assertThat(doc.path("values").get(r).get(c).asDouble()).as("cell %d, %d", r, c)
                        .isCloseTo(values[r][c], within(1e-5));
            }
        }
    }

    static void assertValidPng(Path png) {
        try {
            byte[] bytes = Files.readAllBytes(png);
            assertThat(bytes.length).isGreaterThan(2_000);
            assertThat(new byte[] {bytes[0], bytes[1], bytes[2], bytes[3]})
                    .containsExactly(0x89, 'P', 'N', 'G');
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
