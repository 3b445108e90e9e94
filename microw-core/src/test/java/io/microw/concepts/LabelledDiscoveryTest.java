package io.microw.concepts;

import io.microw.concepts.LabelledDiscovery.LatentScore;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LabelledDiscoveryTest {

    /**
     * 1000 tokens: label "a" on tokens i % 4 == 0 (250), "b" on i % 10 == 0 (100). Latent 2 fires exactly on "a"
     * tokens; latent 5 fires on every "b" token and on 100 other tokens; latent 7 fires everywhere (value 0 on odd
     * tokens: not firing); latent 9 never fires; latents 0..15 of 16.
     */
    private static LabelledDiscovery synthetic() {
        LabelledDiscovery d = new LabelledDiscovery(16);
        for (int i = 0; i < 1000; i++) {
            int[] lat = new int[3];
            float[] val = new float[3];
            int n = 0;
            if (i % 4 == 0) {
                lat[n] = 2;
                val[n++] = 1.5f;
            }
            if (i % 10 == 0 || i % 10 == 5) {
                lat[n] = 5;
                val[n++] = 0.2f;
            }
            lat[n] = 7;
            val[n++] = i % 2 == 0 ? 3f : 0f;
            Set<String> labels = i % 4 == 0 && i % 10 == 0 ? Set.of("a", "b") : i % 4 == 0 ? Set.of("a")
                    : i % 10 == 0 ? Set.of("b") : Set.of("other");
            d.add(lat, val, n, labels);
        }
        return d;
    }

    @Test
    void scoresMatchHandCounts() {
        LabelledDiscovery d = synthetic();
        assertThat(d.tokens()).isEqualTo(1000);
        assertThat(d.labels()).containsExactly("other", "a", "b");
        assertThat(d.labelCount("a")).isEqualTo(250);
        assertThat(d.labelCount("b")).isEqualTo(100);
        LatentScore a2 = d.score(2, "a");
        assertThat(a2.precision()).isEqualTo(1.0);
        assertThat(a2.recall()).isEqualTo(1.0);
        assertThat(a2.f1()).isEqualTo(1.0);
        LatentScore b5 = d.score(5, "b");
        assertThat(b5.truePositives()).isEqualTo(100);
        assertThat(b5.fired()).isEqualTo(200);
        assertThat(b5.precision()).isEqualTo(0.5);
        assertThat(b5.recall()).isEqualTo(1.0);
        assertThat(b5.f1()).isCloseTo(2 * 0.5 / 1.5, within(1e-12));
        // latent 7 fires on the 500 even tokens: all "a" tokens (every 4th is even)
        LatentScore a7 = d.score(7, "a");
        assertThat(d.firedCount(7)).isEqualTo(500);
        assertThat(a7.precision()).isEqualTo(0.5);
        assertThat(a7.recall()).isEqualTo(1.0);
        assertThat(d.score(9, "a").f1()).isZero();
        assertThat(d.score(9, "a").precision()).isZero();

        Map<String, LatentScore> best = d.bestLatentPerLabel();
        assertThat(best.keySet()).containsExactly("other", "a", "b");
        assertThat(best.get("a").latent()).isEqualTo(2);
        assertThat(best.get("b").latent()).isEqualTo(5);
        for (String label : d.labels()) {
            double max = 0;
            for (int l = 0; l < 16; l++) {
                max = Math.max(max, d.score(l, label).f1());
            }
            assertThat(best.get(label).f1()).isEqualTo(max);
            assertThat(d.topLatents(label, 3).get(0)).isEqualTo(best.get(label));
        }
        assertThat(d.labelsWithF1AtLeast(0.6)).extracting(LatentScore::label).containsExactly("a", "b");
        assertThat(d.labelsWithF1AtLeast(0.9)).extracting(LatentScore::label).containsExactly("a");
        assertThat(d.labels("o")).containsExactly("other");
    }

    @Test
    void proposesNamesForLatentsThatMatchALabel() {
        LabelledDiscovery d = synthetic();
        ConceptDictionary dict = ConceptDictionary.forLatents(16);
        dict.set(9, "kept", "", 0.1);
        List<ConceptDictionary.Concept> written = d.proposeNames(dict, 0.6);
        assertThat(written).extracting(ConceptDictionary.Concept::latent).containsExactly(2, 5, 7);
        assertThat(dict.get(2).orElseThrow().name()).isEqualTo("a");
        assertThat(dict.get(2).orElseThrow().score()).isEqualTo(1.0);
        assertThat(dict.get(2).orElseThrow().description()).contains("P=1.000 R=1.000 F1=1.000");
        assertThat(dict.get(2).orElseThrow().source()).isEqualTo(LabelledDiscovery.SOURCE);
        assertThat(dict.get(5).orElseThrow().name()).isEqualTo("b");
        // latent 7 fires on the 500 even tokens, all 250 "a" tokens among them: F1 2*250/750 for "a" beats
        // 2*200/1200 for "other"
        assertThat(dict.get(7).orElseThrow().name()).isEqualTo("a");
        assertThat(dict.get(7).orElseThrow().score()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(dict.get(9).orElseThrow().name()).isEqualTo("kept");
        assertThatThrownBy(() -> d.proposeNames(ConceptDictionary.forLatents(8), 0.5))
                .hasMessageContaining("8 latents");
    }

    @Test
    void randomDataMatchesBruteForce() {
        Random r = new Random(3);
        int nLat = 40;
        int tokens = 3000;
        boolean[][] fires = new boolean[tokens][nLat];
        boolean[][] has = new boolean[tokens][3];
        LabelledDiscovery d = new LabelledDiscovery(nLat);
        for (int t = 0; t < tokens; t++) {
            int[] lat = new int[5];
            float[] val = new float[5];
            int n = 0;
            for (int l = 0; l < nLat && n < 5; l++) {
                if (r.nextInt(10) == 0) {
                    lat[n] = l;
                    val[n++] = r.nextFloat();
                    fires[t][l] = val[n - 1] > 0;
                }
            }
            List<String> labels = new java.util.ArrayList<>();
            for (int y = 0; y < 3; y++) {
                if (r.nextInt(3) == 0 || fires[t][y * 7] && r.nextInt(4) != 0) {
                    has[t][y] = true;
                    labels.add("y" + y);
                }
            }
            labels.add("all");
            d.add(lat, val, n, labels);
        }
        for (int y = 0; y < 3; y++) {
            for (int l = 0; l < nLat; l++) {
                long tp = 0;
                long f = 0;
                long c = 0;
                for (int t = 0; t < tokens; t++) {
                    tp += fires[t][l] && has[t][y] ? 1 : 0;
                    f += fires[t][l] ? 1 : 0;
                    c += has[t][y] ? 1 : 0;
                }
                LatentScore s = d.score(l, "y" + y);
                assertThat(s.truePositives()).isEqualTo(tp);
                assertThat(s.f1()).isCloseTo(2.0 * tp / (f + c), within(1e-12));
            }
            assertThat(d.bestLatent("y" + y).latent()).isEqualTo(y * 7);
        }
    }

    @Test
    void badInputs() {
        LabelledDiscovery d = new LabelledDiscovery(4);
        assertThatThrownBy(() -> d.add(new int[] {4}, new float[] {1}, Set.of("a"))).hasMessageContaining("0..3");
        assertThatThrownBy(() -> d.add(new int[] {1}, new float[] {1, 2}, Set.of("a"))).hasMessageContaining("values");
        assertThatThrownBy(() -> d.add(new int[] {1}, new float[] {Float.NaN}, Set.of("a")))
                .hasMessageContaining("NaN");
        assertThatThrownBy(() -> d.add(new int[] {1, 1}, new float[] {1, 2}, Set.of("a")))
                .hasMessageContaining("twice");
        assertThat(d.tokens()).isZero();
        assertThat(d.firedCount(1)).isZero();
        d.add(new int[] {1}, new float[] {1}, List.of("a", "a"));
        assertThat(d.labelCount("a")).isEqualTo(1);
        assertThatThrownBy(() -> d.score(0, "zzz")).hasMessageContaining("never seen");
        assertThatThrownBy(() -> new LabelledDiscovery(0)).hasMessageContaining("positive");
    }
}
