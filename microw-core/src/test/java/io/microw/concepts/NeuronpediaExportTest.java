package io.microw.concepts;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The Neuronpedia batch against SAEDashboard's published example (structure) and against numbers worked out by
 * hand for a 2-latent SAE over a 4-token vocabulary (values).
 *
 * <p>Published example: https://github.com/jbloomAus/SAEDashboard, {@code tests/acceptance/test_simple/batch-0.json}
 * at commit 96247d5afaf141b8b1279c17fd135240b0d8e869, excerpted in
 * {@code src/test/resources/neuronpedia/saedashboard-batch-0-excerpt.json} (see the README beside it).
 */
class NeuronpediaExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Decoder rows: latent 0 = (1, -2, 0.5), latent 1 = (0, 1, 1). */
    private static final float[] W_DEC = {1f, -2f, 0.5f, 0f, 1f, 1f};
    /** Unembedding, one row per token: t0 = e0, t1 = e1, t2 = e2, t3 = (1, 1, 1). */
    private static final float[] W_U = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1};

    @TempDir
    Path dir;

    private NDManager manager;
    private Sae sae;
    private TopTextTracker tracker;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        sae = Sae.create(SaeConfig.of(SaeArchitecture.STANDARD, 3, 2, 0), 1);
        sae.setParameter("W_dec", W_DEC);
        tracker = new TopTextTracker(2, 2, 0, 1, id -> "w" + id);
        // three texts of three tokens; latent 0 fires 0.5 and 2.0 in the first, 1.0 in the second; latent 1 never
        tracker.add(row(new float[] {0f, 0.5f, 2f}, 100));
        tracker.add(row(new float[] {1f, 0f, 0f}, 200));
        tracker.add(row(new float[] {0f, 0f, 0f}, 300));
    }

    @AfterEach
    void tearDown() {
        sae.close();
        manager.close();
    }

    private static TokenLatents row(float[] latent0, long firstId) {
        int seq = latent0.length;
        int[][] latents = new int[seq][];
        float[][] values = new float[seq][];
        long[][] ids = new long[1][seq];
        boolean[][] counted = new boolean[1][seq];
        for (int s = 0; s < seq; s++) {
            latents[s] = latent0[s] > 0 ? new int[] {0} : new int[0];
            values[s] = latent0[s] > 0 ? new float[] {latent0[s]} : new float[0];
            ids[0][s] = firstId + s;
            counted[0][s] = true;
        }
        return new TokenLatents(1, seq, latents, values, counted, ids, List.of());
    }

    private JsonNode export(ConceptDictionary names) throws Exception {
        Unembedding wU = new Unembedding(manager.create(W_U, new Shape(4, 3)), id -> "t" + id);
        Path file = dir.resolve("batch-0.json");
        new NeuronpediaExport(sae, wU, names).write(tracker, List.of(0, 1),
                new NeuronpediaSource("tiny", 2, "res-test", "hand", 3, 3), file);
        return JSON.readTree(file.toFile());
    }

    @Test
    void hasThePublishedLayoutKeyForKeyAndTypeForType() throws Exception {
        JsonNode published;
        try (InputStream in = getClass().getResourceAsStream("/neuronpedia/saedashboard-batch-0-excerpt.json")) {
            published = JSON.readTree(in);
        }
        JsonNode ours = export(null);
        for (JsonNode feature : ours.get("features")) {
            assertThat(feature.get("explanations").isArray()).as("microw's explanations slot").isTrue();
            ((com.fasterxml.jackson.databind.node.ObjectNode) feature).remove("explanations");
        }
        List<String> compared = new ArrayList<>();
        assertSameShape(published, ours, "$", compared);
        // the comparison reached down to a token's value, a histogram count and a logit value
        assertThat(compared).contains("$.features[0].activations[0].values[0]",
                "$.features[0].freq_hist_data_bar_heights[0]", "$.features[0].pos_values[0]",
                "$.features[1].frac_nonzero", "$.features[0].activations[0].dfa_targetIndex");
    }

    /** Same keys in the same order, same JSON kinds (integers and floats told apart), recursively. */
    private static void assertSameShape(JsonNode want, JsonNode got, String path, List<String> compared) {
        compared.add(path);
        assertThat(got.getNodeType()).as("kind of %s", path).isEqualTo(want.getNodeType());
        if (want.isNumber()) {
            assertThat(got.isIntegralNumber()).as("integer or float at %s", path).isEqualTo(want.isIntegralNumber());
        } else if (want.isObject()) {
            List<String> wantKeys = new ArrayList<>();
            want.fieldNames().forEachRemaining(wantKeys::add);
            List<String> gotKeys = new ArrayList<>();
            got.fieldNames().forEachRemaining(gotKeys::add);
            assertThat(gotKeys).as("keys of %s", path).isEqualTo(wantKeys);
            for (String k : wantKeys) {
                assertSameShape(want.get(k), got.get(k), path + "." + k, compared);
            }
        } else if (want.isArray() && !want.isEmpty() && !got.isEmpty()) {
            int n = Math.min(want.size(), got.size());
            for (int i = 0; i < n; i++) {
                assertSameShape(want.get(i), got.get(i), path + "[" + i + "]", compared);
            }
        }
    }

    @Test
    void logitTablesAndHistogramAreWdecTimesWuWorkedByHand() throws Exception {
        JsonNode f = export(null).get("features").get(0);
        // W_U · (1, -2, 0.5) = (1, -2, 0.5, -0.5) for t0..t3
        assertThat(strings(f.get("pos_str"))).containsExactly("t0", "t2", "t3", "t1");
        assertThat(doubles(f.get("pos_values"))).containsExactly(1.0, 0.5, -0.5, -2.0);
        assertThat(strings(f.get("neg_str"))).containsExactly("t1", "t3", "t2", "t0");
        assertThat(doubles(f.get("neg_values"))).containsExactly(-2.0, -0.5, 0.5, 1.0);
        // 50 bins of 0.06 from -2 to 1: -2 in bin 0, -0.5 in bin 25, 0.5 in bin 41, 1 (the maximum) in bin 49
        long[] heights = longs(f.get("logits_hist_data_bar_heights"));
        assertThat(heights).hasSize(50);
        long[] want = new long[50];
        want[0] = 1;
        want[25] = 1;
        want[41] = 1;
        want[49] = 1;
        assertThat(heights).isEqualTo(want);
        List<Double> centres = doubles(f.get("logits_hist_data_bar_values"));
        assertThat(centres.get(0)).isCloseTo(-1.97, within(1e-9));
        assertThat(centres.get(25)).isCloseTo(-0.47, within(1e-9));
        assertThat(centres.get(49)).isCloseTo(0.97, within(1e-9));
        // latent 1 = (0, 1, 1): t3 gets 2, t1 and t2 get 1, t0 gets 0
        JsonNode g = export(null).get("features").get(1);
        assertThat(strings(g.get("pos_str"))).containsExactly("t3", "t1", "t2", "t0");
        assertThat(doubles(g.get("pos_values"))).containsExactly(2.0, 1.0, 1.0, 0.0);
    }

    @Test
    void neuronAlignmentIsTheLargestDecoderEntriesAndTheirShareOfL1() throws Exception {
        JsonNode f = export(null).get("features").get(0);
        // (1, -2, 0.5): largest first 1 (index 0), 0.5 (index 2), -2 (index 1); L1 = 3.5
        assertThat(longs(f.get("neuron_alignment_indices"))).containsExactly(0, 2, 1);
        assertThat(doubles(f.get("neuron_alignment_values"))).containsExactly(1.0, 0.5, -2.0);
        assertThat(doubles(f.get("neuron_alignment_l1"))).containsExactly(0.28571, 0.14286, 0.57143);
        assertThat(f.get("correlated_neurons_indices")).isEmpty();
        assertThat(f.get("decoder_weights_dist")).isEmpty();
    }

    @Test
    void firingStatisticsAndContextsAreTheTrackedOnes() throws Exception {
        JsonNode batch = export(null);
        assertThat(batch.get("model_id").asText()).isEqualTo("tiny");
        assertThat(batch.get("layer").intValue()).isEqualTo(2);
        assertThat(batch.get("sae_set").asText()).isEqualTo("res-test");
        JsonNode f = batch.get("features").get(0);
        assertThat(f.get("feature_index").intValue()).isZero();
        // 3 firings in 9 tokens: "33.333%" read back as 0.33333
        assertThat(f.get("frac_nonzero").doubleValue()).isCloseTo(0.33333, within(1e-12));
        // codes 0.5, 2.0, 1.0 in a histogram whose range grew to [0, 4): bins of 0.125, so bins 4, 16 and 8
        long[] heights = longs(f.get("freq_hist_data_bar_heights"));
        assertThat(heights).hasSize(32);
        assertThat(heights[4]).isEqualTo(1);
        assertThat(heights[8]).isEqualTo(1);
        assertThat(heights[16]).isEqualTo(1);
        assertThat(java.util.Arrays.stream(heights).sum()).isEqualTo(3);
        assertThat(doubles(f.get("freq_hist_data_bar_values")).get(4)).isCloseTo(0.5625, within(1e-12));
        assertThat(f.get("n_prompts_total").longValue()).isEqualTo(3);
        assertThat(f.get("dataset").asText()).isEqualTo("hand");

        JsonNode acts = f.get("activations");
        assertThat(acts).hasSize(2);
        // text 1's best token is its third (id 102, code 2.0); window 1 keeps tokens 101..102
        JsonNode first = acts.get(0);
        assertThat(strings(first.get("tokens"))).containsExactly("w101", "w102");
        assertThat(doubles(first.get("values"))).containsExactly(0.5, 2.0);
        assertThat(first.get("qualifying_token_index").intValue()).isEqualTo(1);
        assertThat(first.get("bin_min").intValue()).isEqualTo(-1);
        assertThat(first.get("bin_max").doubleValue()).isEqualTo(2.0);
        assertThat(first.get("bin_contains").intValue()).isEqualTo(-1);
        JsonNode second = acts.get(1);
        assertThat(strings(second.get("tokens"))).containsExactly("w200", "w201");
        assertThat(doubles(second.get("values"))).containsExactly(1.0, 0.0);
        assertThat(second.get("qualifying_token_index").intValue()).isZero();

        JsonNode silent = batch.get("features").get(1);
        assertThat(silent.get("frac_nonzero").isIntegralNumber()).isTrue();
        assertThat(silent.get("frac_nonzero").intValue()).isZero();
        assertThat(silent.get("freq_hist_data_bar_heights")).isEmpty();
        assertThat(silent.get("activations")).isEmpty();
    }

    @Test
    void explanationsComeFromTheConceptDictionary() throws Exception {
        ConceptDictionary names = ConceptDictionary.forLatents(2);
        names.set(0, "doubling", "fires on doubled tokens", 1.0);
        JsonNode features = export(names).get("features");
        assertThat(features.get(0).get("explanations")).hasSize(1);
        assertThat(features.get(0).get("explanations").get(0).get("description").asText()).isEqualTo("doubling");
        assertThat(features.get(1).get("explanations")).isEmpty();
    }

    @Test
    void roundsAsNumpyAndChecksItsInput() {
        assertThat(NeuronpediaExport.round5(0.123456789)).isEqualTo(0.12346);
        assertThat(NeuronpediaExport.round5(-2.000004)).isEqualTo(-2.0);
        Unembedding wU = new Unembedding(manager.create(W_U, new Shape(4, 3)), id -> "t" + id);
        NeuronpediaExport export = new NeuronpediaExport(sae, wU, null);
        NeuronpediaSource source = new NeuronpediaSource("tiny", 0, "s", "", 0, 0);
        assertThatThrownBy(() -> export.batch(tracker, tracker.statistics(), List.of(2), source))
                .isInstanceOf(SaeException.class).hasMessageContaining("latent index 2").hasMessageContaining("0..1");
        TopTextTracker wide = new TopTextTracker(3, 1, 0, 0, id -> "");
        assertThatThrownBy(() -> export.batch(wide, wide.statistics(), List.of(0), source))
                .hasMessageContaining("3 latents; the SAE has 2");
        assertThatThrownBy(() -> new NeuronpediaExport(sae, wU, ConceptDictionary.forLatents(5)))
                .hasMessageContaining("5 latents; the SAE has 2");
    }

    @Test
    void sourceFromANeuronpediaIdOrTheLayerName() {
        NeuronpediaSource parsed = NeuronpediaSource.parse("gemma-2-2b/12-gemmascope-res-16k", "d", 10, 128);
        assertThat(parsed.modelId()).isEqualTo("gemma-2-2b");
        assertThat(parsed.layer()).isEqualTo(12);
        assertThat(parsed.saeSet()).isEqualTo("gemmascope-res-16k");
        NeuronpediaSource fromName = NeuronpediaSource.of(sae, "brown-gpt2", "transformer.h.2", "brown", 5, 17);
        assertThat(fromName.modelId()).isEqualTo("brown-gpt2");
        assertThat(fromName.layer()).isEqualTo(2);
        assertThat(fromName.saeSet()).isEqualTo(NeuronpediaSource.DEFAULT_SET);
        assertThatThrownBy(() -> NeuronpediaSource.parse("gpt2-small-res-jb", "", 0, 0))
                .hasMessageContaining("'gpt2-small-res-jb' is not MODEL/LAYER-SET");
        assertThatThrownBy(() -> NeuronpediaSource.of(sae, "m", "lm_head", "", 0, 0))
                .hasMessageContaining("no layer number in layer 'lm_head'");
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<Double> doubles(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(n -> out.add(n.doubleValue()));
        return out;
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        Iterator<JsonNode> it = array.elements();
        for (int i = 0; it.hasNext(); i++) {
            out[i] = it.next().longValue();
        }
        return out;
    }
}
