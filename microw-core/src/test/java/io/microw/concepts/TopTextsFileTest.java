package io.microw.concepts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Top texts written by {@link TopTextsExport} and read back by {@link TopTextsFile}; statistics by {@link LatentSummaryFile}. */
class TopTextsFileTest {

    private static final int LATENTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    private static TopTextTracker tracker;
    private static Path json;

    /**
     * Four texts of five tokens: latent 0 fires on every text at a moving position, latent 1 on two texts, latent 2
     * never. Token 12 decodes to a string with a comma, a quote and a line break (CSV quoting).
     */
    @BeforeAll
    static void trackAndExport() {
        tracker = new TopTextTracker(LATENTS, 3, 0, 1, id -> id == 12 ? " a,\"b\"\n" : " t" + id);
        for (int text = 0; text < 4; text++) {
            int seq = 5;
            int[][] latents = new int[seq][];
            float[][] values = new float[seq][];
            for (int s = 0; s < seq; s++) {
                boolean one = text % 2 == 0 && s == 2;
                latents[s] = one ? new int[] {0, 1} : new int[] {0};
                values[s] = one ? new float[] {0.1f * (s + 1), 0.7f + text} : new float[] {0.1f * (s + 1) + (s == text ? 2.5f : 0)};
            }
            long[][] ids = {{10 + text, 11, 12, 13, 14}};
            tracker.add(new TokenLatents(1, seq, latents, values, new boolean[][] {{true, true, true, true, true}}, ids,
                    List.of()));
        }
        json = dir.resolve("top.json");
        TopTextsExport.writeJson(tracker, json);
    }

    @Test
    void jsonRoundTripGivesEqualContexts() {
        TopTextsFile file = TopTextsFile.read(json, LATENTS);
        assertThat(file.format()).isEqualTo(TopTextsFile.Format.JSON);
        assertThat(file.hasWindows()).isTrue();
        assertThat(file.latents()).isEqualTo(LATENTS);
        assertThat(tracker.topTexts(0)).as("not vacuous: windows around the token").hasSize(3)
                .anySatisfy(c -> assertThat(c.windowStart()).isPositive())
                .allSatisfy(c -> assertThat(c.window()).hasSizeGreaterThan(1));
        assertThat(tracker.topTexts(1)).hasSize(2);
        for (int l = 0; l < LATENTS; l++) {
            assertThat(file.topTexts(l)).as("latent %d", l).isEqualTo(tracker.topTexts(l));
        }
        assertThat(file.topTexts(2)).isEmpty();
        assertThat(file.bottomTexts(0)).isEmpty();
        assertThatThrownBy(() -> file.topTexts(3)).isInstanceOf(ConceptException.class)
                .hasMessageContaining("latent index 3").hasMessageContaining("0..2");
    }

    @Test
    void csvKeepsTextsScoresAndPositionsButNotWindowsOrTextIds() {
        Path csv = dir.resolve("top.csv");
        TopTextsExport.writeCsv(tracker, csv);
        TopTextsFile file = TopTextsFile.read(csv, LATENTS);
        assertThat(file.format()).isEqualTo(TopTextsFile.Format.CSV);
        assertThat(file.hasWindows()).isFalse();
        for (int l = 0; l < LATENTS; l++) {
            List<LatentContext> want = tracker.topTexts(l);
            List<LatentContext> got = file.topTexts(l);
            assertThat(got).hasSameSizeAs(want);
            for (int i = 0; i < want.size(); i++) {
                LatentContext w = want.get(i);
                assertThat(got.get(i)).isEqualTo(new LatentContext(-1, w.text(), w.position(), w.token(),
                        w.activation(), List.of(w.token()), w.position(), List.of(w.activation())));
            }
        }
        assertThat(file.topTexts(1).get(0).text()).contains(" a,\"b\"\n");
    }

    @Test
    void contextsComeStrongestFirstWhateverTheFileOrder() throws Exception {
        Path csv = dir.resolve("unordered.csv");
        Files.writeString(csv, "neuron_idx,text,score,token_str,token_idx\r\n1,weak,1.0,w,0\r\n1,strong,2.0,s,1\r\n"
                + "1,also weak,1.0,v,2\r\n");
        assertThat(TopTextsFile.read(csv, LATENTS).topTexts(1)).extracting(LatentContext::text)
                .containsExactly("strong", "weak", "also weak");
    }

    @Test
    void badJsonIsRefusedNamingFileLatentAndField() throws Exception {
        expect("{\"0\": [], \"1\": [", "top.json", "is not valid JSON");
        expect("{\"0\": [], \"1\": []}", "holds 2 latents; the SAE has 3");
        expect("{\"0\": [], \"1\": [], \"x\": []}", "key \"x\" is not a latent index", "\"0\" to \"2\"");
        expect("{\"0\": [], \"1\": [], \"2\": {}}", "latent \"2\": must be an array of contexts");
        expect("[{\"modelId\": \"m\", \"activations\": []}]", "JSON array", "not read back");
        expect("{\"model_id\": \"m\", \"layer\": \"0\", \"sae_set\": \"s\", \"features\": []}", "Neuronpedia batch",
                "not read back");
        expect("latent;text\n0;x\n", "expected microw's top-texts JSON", "neuron_idx,text,score,token_str,token_idx");
        expect(edited(c -> c.remove("window")), "latent \"0\", context 1", "missing field 'window'");
        expect(edited(c -> c.put("token_idx", "2")), "latent \"0\", context 1", "'token_idx' must be an integer",
                "string \"2\"");
        expect(edited(c -> c.put("score", true)), "'score' must be a number, got boolean true");
        expect(edited(c -> ((ArrayNode) c.get("window_activations")).remove(0)),
                "'window_activations' has 2 values; expected one per token of 'window' (3)");
        expect(edited(c -> c.put("window_start", c.get("token_idx").asInt() + 1)), "'window_start' must be an integer "
                + "from 0 to");
        expect(edited(c -> ((ArrayNode) c.get("window")).set(1, "other")), "must be the token");
        assertThatThrownBy(() -> TopTextsFile.read(dir.resolve("missing.json"), LATENTS))
                .isInstanceOf(ConceptException.class).hasMessageContaining("missing.json does not exist");
    }

    @Test
    void badCsvIsRefusedNamingTheLine() throws Exception {
        String header = "neuron_idx,text,score,token_str,token_idx\n";
        expectFile("bad.csv", header + "3,a text,1.5,a,0\n", "bad.csv, line 2", "'neuron_idx' must be an integer from "
                + "0 to 2 (the SAE has 3 latents), got '3'");
        expectFile("bad.csv", header + "1,a text,high,a,0\n", "line 2", "'score' must be a number, got 'high'");
        expectFile("bad.csv", header + "1,a text,1.5,a\n", "line 2", "expected 5 fields");
        expectFile("bad.csv", header.replace("token_idx", "token_idx,extra") + "1,t,1,a,0,x\n", "the header must be");
    }

    @Test
    void statisticsFileReadsEveryFieldAndSaysWhenTheHistogramIsMissing() throws Exception {
        ObjectNode root = JSON.createObjectNode().put("tokens", 20);
        ArrayNode list = root.putArray("latents");
        for (int l = 0; l < LATENTS; l++) {
            ObjectNode o = list.addObject().put("latent", l).put("firings", 4 * l).put("frequency", 0.2 * l)
                    .put("mean", 1.5 + l).put("max", 2.5f + l);
            if (l != 1) {
                o.put("histogram_upper", 4.0f);
                o.putArray("histogram").add(1).add(0).add(l);
                o.putArray("log_histogram").add(7);
            }
        }
        Path file = dir.resolve("stats.json");
        JSON.writeValue(file.toFile(), root);
        LatentSummaryFile s = LatentSummaryFile.read(file, LATENTS);
        assertThat(s.tokens()).isEqualTo(20);
        assertThat(s.firings(2)).isEqualTo(8);
        assertThat(s.frequency(2)).isEqualTo(0.4);
        assertThat(s.meanActivation(2)).isEqualTo(3.5);
        assertThat(s.maxActivation(2)).isEqualTo(4.5f);
        assertThat(s.histogram(2)).containsExactly(1, 0, 2);
        assertThat(s.histogramUpper(2)).isEqualTo(4.0f);
        assertThat(s.histogram(1)).isEmpty();

        assertThatThrownBy(() -> LatentSummaryFile.read(file, 4)).isInstanceOf(ConceptException.class)
                .hasMessageContaining("stats.json holds 3 latents; the SAE has 4");
        ((ObjectNode) list.get(1)).remove("mean");
        JSON.writeValue(file.toFile(), root);
        assertThatThrownBy(() -> LatentSummaryFile.read(file, LATENTS)).isInstanceOf(ConceptException.class)
                .hasMessageContaining("stats.json, latents[1]: 'mean' must be a number, got nothing");
        ((ObjectNode) list.get(1)).put("mean", 1.0).put("histogram_upper", 2.0);
        JSON.writeValue(file.toFile(), root);
        assertThatThrownBy(() -> LatentSummaryFile.read(file, LATENTS)).isInstanceOf(ConceptException.class)
                .hasMessageContaining("latents[1]: 'histogram' must be a non-empty array");
    }

    @Test
    void aDashboardFromTheFileEqualsTheTrackersAndSaysWhatIsMissing() throws Exception {
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.STANDARD, 4, LATENTS, 0), 1)) {
            List<Integer> shown = List.of(0, 1, 2);
            Path fromTracker = dir.resolve("tracker.html");
            new FeatureDashboard(sae, tracker, null, Map.of(1, "one")).write(shown, fromTracker);
            Path fromFile = dir.resolve("file.html");
            new FeatureDashboard(sae, TopTextsFile.read(json, LATENTS), tracker.statistics(), null, Map.of(1, "one"))
                    .write(shown, fromFile);
            assertThat(Files.readString(fromFile)).isEqualTo(Files.readString(fromTracker)).contains("firing frequency")
                    .contains("Latent 1: one").contains("<svg");

            Path bare = dir.resolve("bare.html");
            new FeatureDashboard(sae, TopTextsFile.read(json, LATENTS), null, null, Map.of()).write(shown, bare);
            assertThat(Files.readString(bare)).contains("no firing statistics given", "Firing statistics unknown",
                    "class=\"tok\"").doesNotContain("firing frequency", "<svg", "tokens tracked");

            Files.writeString(dir.resolve("nohist.json"), "{\"tokens\": 5, \"latents\": [{\"latent\": 0, \"firings\": 1,"
                    + " \"frequency\": 0.2, \"mean\": 1, \"max\": 1}, {\"latent\": 1, \"firings\": 0, \"frequency\": 0,"
                    + " \"mean\": 0, \"max\": 0}, {\"latent\": 2, \"firings\": 0, \"frequency\": 0, \"mean\": 0, \"max\": 0}]}");
            Path noHistogram = dir.resolve("nohist.html");
            new FeatureDashboard(sae, TopTextsFile.read(json, LATENTS), LatentSummaryFile.read(dir.resolve(
                    "nohist.json"), LATENTS), null, Map.of()).write(List.of(0), noHistogram);
            assertThat(Files.readString(noHistogram)).contains("firing frequency 20.0%", "Activation histogram unknown")
                    .doesNotContain("<svg");
        }
    }

    /** The JSON export with the second context of latent 0 changed by {@code edit}. */
    private static String edited(Consumer<ObjectNode> edit) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(json.toFile());
        edit.accept((ObjectNode) root.get("0").get(1));
        return JSON.writeValueAsString(root);
    }

    private static void expect(String content, String... parts) throws Exception {
        expectFile("top.json", content, parts);
    }

    private static void expectFile(String name, String content, String... parts) throws Exception {
        Path bad = dir.resolve("bad").resolve(name);
        Files.createDirectories(bad.getParent());
        Files.writeString(bad, content);
        assertThatThrownBy(() -> TopTextsFile.read(bad, LATENTS)).isInstanceOf(ConceptException.class)
                .hasMessageContaining(bad.toString()).satisfies(e -> assertThat(e.getMessage()).contains(parts));
    }
}
