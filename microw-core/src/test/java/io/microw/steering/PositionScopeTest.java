package io.microw.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.nn.ForwardBatch;
import io.microw.nn.Module;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which positions each scope edits, from hand-made batches: plain forwards, generation with and without cache. */
class PositionScopeTest {

    /** A FORWARD call on "layer" whose inputs are its outputs, as a hook would see it. */
    private record Call(NDList outputs, ForwardBatch batch, NDManager manager) implements HookCall {
        @Override
        public String layer() {
            return "layer";
        }

        @Override
        public HookType hookType() {
            return HookType.FORWARD;
        }

        @Override
        public Module module() {
            return null;
        }

        @Override
        public NDList inputs() {
            return outputs;
        }
    }

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** A batch computing the last {@code seq} columns of {@code mask}. */
    private static ForwardBatch batch(long[][] mask, int seq, int step) {
        int b = mask.length;
        int total = mask[0].length;
        long[] flat = new long[b * total];
        for (int i = 0; i < b; i++) {
            System.arraycopy(mask[i], 0, flat, i * total, total);
        }
        NDArray ids = manager.zeros(new Shape(b, seq), ai.djl.ndarray.types.DataType.INT64);
        return new ForwardBatch(ids, manager.create(flat, new Shape(b, total)), ids, List.of(), null, 0, step);
    }

    private static boolean[][] p(PositionScope scope, ForwardBatch batch) {
        return scope.positions(batch);
    }

    @Test
    void outsideGenerationEveryRealTokenIsPrompt() {
        ForwardBatch b = batch(new long[][] {{1, 1, 0}, {1, 1, 1}}, 3, -1);
        boolean[][] real = {{true, true, false}, {true, true, true}};
        assertThat(p(PositionScope.ALL, b)).isDeepEqualTo(real);
        assertThat(p(PositionScope.PROMPT, b)).isDeepEqualTo(real);
        assertThat(p(PositionScope.GENERATED, b)).isDeepEqualTo(new boolean[2][3]);
        assertThat(PositionScope.GENERATED.mayApply(b)).isFalse();
        assertThat(PositionScope.PROMPT.mayApply(b)).isTrue();
    }

    @Test
    void generationWithKvCache() {
        // Step 0: left-padded prompt.
        ForwardBatch s0 = batch(new long[][] {{0, 1, 1}, {1, 1, 1}}, 3, 0);
        assertThat(p(PositionScope.PROMPT, s0)).isDeepEqualTo(new boolean[][] {{false, true, true}, {true, true, true}});
        assertThat(p(PositionScope.ALL, s0)).isDeepEqualTo(p(PositionScope.PROMPT, s0));
        assertThat(p(PositionScope.GENERATED, s0)).isDeepEqualTo(new boolean[2][3]);
        // Step 2: one new token, 4 columns cached.
        ForwardBatch s2 = batch(new long[][] {{0, 1, 1, 1, 1}, {1, 1, 1, 1, 1}}, 1, 2);
        assertThat(p(PositionScope.GENERATED, s2)).isDeepEqualTo(new boolean[][] {{true}, {true}});
        assertThat(p(PositionScope.ALL, s2)).isDeepEqualTo(new boolean[][] {{true}, {true}});
        assertThat(p(PositionScope.PROMPT, s2)).isDeepEqualTo(new boolean[][] {{false}, {false}});
        assertThat(PositionScope.PROMPT.mayApply(s2)).isFalse();
    }

    @Test
    void generationWithoutCacheStillSplitsPromptFromGenerated() {
        // Step 2 recomputing everything: 3 prompt columns (one padding) then 2 generated.
        ForwardBatch s2 = batch(new long[][] {{0, 1, 1, 1, 1}}, 5, 2);
        assertThat(p(PositionScope.PROMPT, s2)).isDeepEqualTo(new boolean[][] {{false, true, true, false, false}});
        assertThat(p(PositionScope.GENERATED, s2)).isDeepEqualTo(new boolean[][] {{false, false, false, true, true}});
        assertThat(p(PositionScope.ALL, s2)).isDeepEqualTo(new boolean[][] {{false, true, true, true, true}});
        assertThat(PositionScope.PROMPT.mayApply(s2)).isTrue();
    }

    @Test
    void maskOnAHookCallIsFloatBatchBySeq() {
        ForwardBatch b = batch(new long[][] {{0, 1, 1}, {1, 1, 1}}, 3, 0);
        try (NDManager work = manager.newSubManager()) {
            NDArray act = work.ones(new Shape(2, 3, 4));
            HookCall call = new Call(new NDList(act), b, work);
            NDArray m = PositionScope.mask(call, PositionScope.PROMPT);
            assertThat(m.getShape()).isEqualTo(new Shape(2, 3));
            assertThat(m.toFloatArray()).containsExactly(0, 1, 1, 1, 1, 1);
            assertThat(PositionScope.GENERATED.mask(call).toFloatArray()).containsOnly(0f);
            HookCall noBatch = new Call(new NDList(act), null, work);
            assertThatThrownBy(() -> PositionScope.ALL.mask(noBatch)).hasMessageContaining("carries no batch");
        }
    }

    @Test
    void contrastiveOptionsRejectBadValues() {
        assertThatThrownBy(() -> ContrastiveOptions.defaults().withBatchSize(0)).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> ContrastiveOptions.defaults().withMaxLength(-1)).hasMessageContaining("maxLength");
        assertThat(ContrastiveOptions.defaults().withTokenMode(TokenMode.LAST_TOKEN).tokenMode())
                .isEqualTo(TokenMode.LAST_TOKEN);
    }
}
