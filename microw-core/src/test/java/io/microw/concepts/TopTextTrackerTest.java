package io.microw.concepts;

import io.microw.sae.SaeException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class TopTextTrackerTest {

    /** One row of {@code seq} tokens (ids 10, 11, ...); latent 0 has the given value per position, latent 1 none. */
    private static TokenLatents row(float[] latent0, boolean[] counted) {
        int seq = latent0.length;
        int[][] latents = new int[seq][];
        float[][] values = new float[seq][];
        long[][] ids = new long[1][seq];
        for (int s = 0; s < seq; s++) {
            latents[s] = latent0[s] > 0 ? new int[] {0} : new int[0];
            values[s] = latent0[s] > 0 ? new float[] {latent0[s]} : new float[0];
            ids[0][s] = 10 + s;
        }
        return new TokenLatents(1, seq, latents, values, new boolean[][] {counted}, ids, List.of());
    }

    private static TopTextTracker tracker(int topK, int bottomK, int window) {
        return new TopTextTracker(2, topK, bottomK, window, id -> "t" + id);
    }

    @Test
    void oneEntryPerTextAtItsBestCountedToken() {
        TopTextTracker t = tracker(3, 0, 1);
        // position 0 is padding (not counted) with the largest value: it must be ignored
        t.add(row(new float[] {9f, 1f, 4f, 2f}, new boolean[] {false, true, true, true}));
        List<LatentContext> top = t.topTexts(0);
        assertThat(top).hasSize(1);
        LatentContext c = top.get(0);
        assertThat(c.activation()).isEqualTo(4f);
        assertThat(c.position()).isEqualTo(1);
        assertThat(c.token()).isEqualTo("t12");
        assertThat(c.window()).containsExactly("t11", "t12", "t13");
        assertThat(c.windowActivations()).containsExactly(1f, 4f, 2f);
        assertThat(c.text()).isEqualTo("t11t12t13");
        assertThat(t.topTexts(1)).isEmpty();
        assertThat(t.statistics().tokens()).isEqualTo(3);
        assertThat(t.statistics().firings(0)).isEqualTo(3);
        assertThat(t.statistics().meanActivation(0)).isCloseTo(7.0 / 3, within(1e-9));
        assertThat(t.statistics().maxActivation(0)).isEqualTo(4f);
        long[] h = t.statistics().histogram(0);
        assertThat(java.util.Arrays.stream(h).sum()).isEqualTo(3);
    }

    @Test
    void keepsTheStrongestTextsAndTheWeakestWhenAsked() {
        TopTextTracker t = tracker(2, 2, 0);
        for (float v : new float[] {3f, 1f, 5f, 2f, 4f}) {
            t.add(row(new float[] {v}, new boolean[] {true}));
        }
        assertThat(t.topTexts(0)).extracting(LatentContext::activation).containsExactly(5f, 4f);
        assertThat(t.topTexts(0)).extracting(LatentContext::textId).containsExactly(2L, 4L);
        assertThat(t.bottomTexts(0)).extracting(LatentContext::activation).containsExactly(1f, 2f);
        assertThat(t.textsSeen()).isEqualTo(5);
        t.reset();
        assertThat(t.topTexts(0)).isEmpty();
        assertThat(t.textsSeen()).isZero();
    }

    @Test
    void quantileSamplesCoverTheActivationRanges() {
        TopTextTracker t = tracker(1, 0, 0).withQuantileSamples(3, 7);
        t.add(row(new float[] {8f}, new boolean[] {true}));
        for (int i = 0; i < 40; i++) {
            t.add(row(new float[] {0.5f + (i % 8)}, new boolean[] {true}));
        }
        int total = 0;
        for (int r = 0; r < 4; r++) {
            List<LatentContext> s = t.quantileSamples(0, r);
            assertThat(s).hasSizeLessThanOrEqualTo(3);
            for (LatentContext c : s) {
                assertThat(c.activation()).isGreaterThan(8f * r / 4).isLessThanOrEqualTo(8f * (r + 1) / 4);
            }
            total += s.size();
        }
        assertThat(total).isEqualTo(12);
        assertThatThrownBy(() -> t.quantileSamples(0, 4)).isInstanceOf(SaeException.class);
    }

    @Test
    void badArgumentsAreClearErrors() {
        assertThatThrownBy(() -> tracker(0, 0, 1)).isInstanceOf(SaeException.class).hasMessageContaining("top_k >= 1");
        assertThatThrownBy(() -> tracker(1, -1, 1)).isInstanceOf(SaeException.class);
        assertThatThrownBy(() -> tracker(1, 0, 1).topTexts(2)).isInstanceOf(SaeException.class)
                .hasMessageContaining("latent index 2");
    }
}
