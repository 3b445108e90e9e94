package io.microw.analysis;

import io.microw.analysis.PathPatching.Channel;
import io.microw.analysis.PathPatching.Head;
import io.microw.lm.InferenceEngine;
import io.microw.lm.Interventions;
import io.microw.lm.RunResult;
import io.microw.testing.GradientCase;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Path patching on the tiny two-block fixtures ({@code gradients/<arch>}: clean and corrupted prompts of 8 tokens),
 * against Wang et al.'s three runs written out with {@link Interventions}.
 */
class PathPatchingTest {

    private static final double TOLERANCE = 1e-4;

    /**
     * The definition by hand: the corrupted run with every head frozen to its corrupted value but the sender, head
     * {@code s} of block 0, taken from the clean run, recording block 1's q, k or v; then the corrupted run with only
     * receiver head {@code r} of block 1's q, k or v replaced by that record.
     */
    private static float byHand(GradientCase c, int s, int r, Channel channel) {
        InferenceEngine engine = c.lm().inference();
        String received = "blocks.1.attn.hook_" + channel.name().toLowerCase(Locale.ROOT);
        try (RunResult clean = engine.runWithCache(c.ids("clean_ids"), null, "*.hook_z");
             RunResult corrupt = engine.runWithCache(c.ids("corrupt_ids"), null, "*.hook_z");
             RunResult sent = engine.run(c.ids("corrupt_ids"), null, Interventions.patch("*.hook_z", corrupt.cache())
                     .and(Interventions.patchHeads("blocks.0.attn.hook_z", clean.cache(), s))
                     .and(Interventions.capture(received)));
             RunResult patched = engine.run(c.ids("corrupt_ids"), null,
                     Interventions.patchHeads(received, sent.cache(), r))) {
            return c.metric().apply(patched.logits(), null);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Channel.class)
    void matchesTheThreeRunsWrittenOutByHand(Channel channel) throws Exception {
        try (GradientCase c = GradientCase.open("gpt2")) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            PatchingResult sweep = PathPatching.senders(ActivationPatching.defaults().withMaxBatch(3), c.lm(), clean,
                    corrupt, c.metric(), channel, List.of(new Head(1, 2)));
            double moved = 0;
            for (int s = 0; s < 4; s++) {
                float expected = byHand(c, s, 2, channel);
                float single = PathPatching.heads(c.lm(), clean, corrupt, c.metric(), 0, s, 1, 2, channel);
                assertThat((double) single).as("sender head %d", s).isCloseTo(expected, within(1e-5));
                assertThat((double) sweep.values()[0][s]).as("sweep, sender head %d", s)
                        .isCloseTo(expected, within(1e-5));
                moved = Math.max(moved, Math.abs(expected - sweep.corruptMetric()));
            }
            System.out.printf(Locale.ROOT, "PathPatchingTest %s: largest move of the metric %.2e (clean − corrupt "
                    + "%.2e)%n", channel, moved, sweep.cleanMetric() - sweep.corruptMetric());
            assertThat(moved).as("some sender moves the metric through receiver head 2's " + channel)
                    .isGreaterThan(1e-4);
        }
    }

    /** A head in or after the receivers' last layer cannot reach them: its cell is the corrupted metric, exactly. */
    @Test
    void sendersTheReceiversCannotSeeGiveTheCorruptMetricExactly() throws Exception {
        try (GradientCase c = GradientCase.open("gpt2")) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            List<Integer> done = new ArrayList<>();
            PatchingResult r = PathPatching.senders(ActivationPatching.defaults().withMaxBatch(3).withProgress(done::add),
                    c.lm(), clean, corrupt, c.metric(), Channel.K, List.of(new Head(1, 0), new Head(1, 3)));
            assertThat(done).containsExactly(3, 4, 8);
            assertThat(r.rowLabels()).containsExactly("blocks.0.attn.hook_z", "blocks.1.attn.hook_z");
            assertThat(r.columnLabels()).containsExactly("head 0", "head 1", "head 2", "head 3");
            assertThat(r.values()[1]).containsOnly(r.corruptMetric());
            assertThat((double) r.cleanMetric()).isCloseTo(c.value("metric/clean"), within(TOLERANCE));
            assertThat((double) r.corruptMetric()).isCloseTo(c.value("metric/corrupt"), within(TOLERANCE));
            float[][] none = PathPatching.senders(c.lm(), clean, corrupt, c.metric(), Channel.Q,
                    List.of(new Head(0, 1))).values();
            assertThat(Arrays.stream(none).flatMap(row -> Arrays.stream(box(row)))).containsOnly(r.corruptMetric());
        }
    }

    private static Float[] box(float[] row) {
        Float[] boxed = new Float[row.length];
        Arrays.setAll(boxed, i -> row[i]);
        return boxed;
    }

    @Test
    void badPairsAndPromptsAreRefusedBeforeAnyForward() throws Exception {
        try (GradientCase c = GradientCase.open("gpt2")) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            long[][] shorter = {Arrays.copyOf(corrupt[0], 6)};
            RecordingDetector watch = new RecordingDetector("lm_head");
            c.lm().layers().registerHook("lm_head", watch);
            assertThatThrownBy(() -> PathPatching.heads(c.lm(), clean, corrupt, c.metric(), 1, 0, 1, 2, Channel.Q))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sender blocks.1 head 0")
                    .hasMessageContaining("receiver blocks.1 head 2").hasMessageContaining("is not before");
            assertThatThrownBy(() -> PathPatching.heads(c.lm(), clean, corrupt, c.metric(), 1, 3, 0, 1, Channel.V))
                    .hasMessageContaining("sender blocks.1 head 3").hasMessageContaining("receiver blocks.0 head 1");
            assertThatThrownBy(() -> PathPatching.heads(c.lm(), clean, corrupt, c.metric(), 0, 4, 1, 0, Channel.Q))
                    .hasMessageContaining("blocks.0 head 4").hasMessageContaining("4 heads (0..3)");
            assertThatThrownBy(() -> PathPatching.heads(c.lm(), clean, shorter, c.metric(), 0, 1, 1, 0, Channel.Q))
                    .hasMessageContaining("8 tokens").hasMessageContaining("has 6");
            assertThatThrownBy(() -> PathPatching.senders(c.lm(), clean, corrupt, c.metric(), Channel.Q, List.of()))
                    .hasMessageContaining("no receivers");
            assertThatThrownBy(() -> PathPatching.senders(c.lm(), clean, corrupt, c.metric(), Channel.Q,
                    List.of(new Head(2, 0)))).hasMessageContaining("blocks.2 head 0").hasMessageContaining("0..1");
            assertThat(watch.calls).as("forwards").isZero();
        }
    }

    /** Llama's fixture shares each key and value head between two query heads. */
    @Test
    void groupedKeysAndValuesAreRefusedAndQueriesWork() throws Exception {
        try (GradientCase c = GradientCase.open("llama")) {
            long[][] clean = c.ids("clean_ids");
            long[][] corrupt = c.ids("corrupt_ids");
            for (Channel grouped : List.of(Channel.K, Channel.V)) {
                assertThatThrownBy(() -> PathPatching.heads(c.lm(), clean, corrupt, c.metric(), 0, 1, 1, 2, grouped))
                        .hasMessageContaining("hook_" + grouped.name().toLowerCase(Locale.ROOT))
                        .hasMessageContaining("2 heads, each shared by 2 of the 4 query heads");
            }
            assertThat((double) PathPatching.heads(c.lm(), clean, corrupt, c.metric(), 0, 1, 1, 2, Channel.Q))
                    .isCloseTo(byHand(c, 1, 2, Channel.Q), within(1e-5));
        }
    }
}
