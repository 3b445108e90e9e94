package io.microw.hooks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hook implementations on the tiny GPT-2 fixture: what they capture, what they own, what they change. */
class HooksTest {

    private static final long[][] IDS = {{5, 6, 7, 8}, {9, 10, 0, 0}};
    private static final long[][] MASK = {{1, 1, 1, 1}, {1, 1, 0, 0}};

    private static Fixture fixture;
    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        fixture = Fixture.open("gpt2");
        lm = LanguageModel.load(fixture.modelDir());
    }

    @AfterAll
    static void close() {
        lm.close();
        fixture.close();
    }

    @AfterEach
    void unregisterAll() {
        lm.layers().allHooks().forEach(h -> lm.layers().unregisterHook(h.id()));
    }

    private static float[] run() {
        try (InferenceResult r = lm.inference().forward(IDS, MASK)) {
            return r.logits().toFloatArray();
        }
    }

    @Test
    void capturedTensorKeepsOneIndependentFloat32Copy() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             CapturedTensor captured = new CapturedTensor()) {
            assertThat(captured.get()).isNull();
            NDArray first = m.create(new float[] {1, 2, 3});
            captured.capture(first);
            NDArray kept = captured.get();
            assertThat(kept).isNotSameAs(first);
            first.muli(10);
            first.close();
            assertThat(kept.toFloatArray()).containsExactly(1, 2, 3);
            NDArray halves = m.create(new float[] {0.5f, 1.5f}).toType(DataType.FLOAT16, false);
            captured.capture(halves);
            assertThat(kept.isReleased()).as("the previous copy is freed").isTrue();
            assertThat(captured.get().getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(captured.get().toFloatArray()).containsExactly(0.5f, 1.5f);
            assertThat(captured.get().getManager().getManagedArrays()).hasSize(1);
            NDArray last = captured.get();
            captured.clear();
            assertThat(captured.get()).isNull();
            assertThat(last.isReleased()).isTrue();
        }
    }

    @Test
    void layerActivationDetectorOutputAndInput() {
        LayerActivationDetector out = new LayerActivationDetector("transformer.h.0.ln_1");
        LayerActivationDetector in = new LayerActivationDetector("transformer.h.0.attn", HookType.PRE_FORWARD);
        lm.layers().registerHook("transformer.h.0.ln_1", out);
        lm.layers().registerHook("transformer.h.0.attn", in);
        run();
        assertThat(out.getCaptured().getShape()).isEqualTo(new Shape(2, 4, 64));
        // attn's input is ln_1's output.
        assertThat(in.getCaptured().toFloatArray()).containsExactly(out.getCaptured().toFloatArray());
        // The copies outlive the forward and are replaced by the next one.
        NDArray before = out.getCaptured();
        try (InferenceResult r = lm.inference().forward(new long[][] {{1, 2}}, null)) {
            assertThat(r.logits().getShape()).isEqualTo(new Shape(1, 2, 1000));
        }
        assertThat(before.isReleased()).isTrue();
        assertThat(out.getCaptured().getShape()).isEqualTo(new Shape(1, 2, 64));
        out.clearCaptured();
        assertThat(out.getCaptured()).isNull();
        out.close();
        in.close();
    }

    @Test
    void arraysDerivedFromACaptureDieWithIt() {
        LayerActivationDetector det = new LayerActivationDetector("layer_0");
        lm.layers().registerHook("layer_0", det);
        List<NDArray> means = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            run();
            // The natural way to read a capture: the mean lands in the capture's manager, not the caller's.
            NDArray mean = det.getCaptured().mean();
            assertThat(Float.isFinite(mean.getFloat())).isTrue();
            means.add(mean);
            assertThat(det.getCaptured().getManager().getManagedArrays()).hasSizeLessThanOrEqualTo(2);
        }
        assertThat(means.subList(0, 19)).allMatch(NDArray::isReleased);
        assertThat(means.get(19).isReleased()).isFalse();
        det.close();
        assertThat(means.get(19).isReleased()).isTrue();
    }

    /** Misbehaves: zeroes its module's real input in place (controllers own only the tensor they replace). */
    static final class InputVandal extends BaseHook implements Controller {
        InputVandal(String layer) {
            super(HookType.FORWARD, layer);
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            call.input().muli(0);
            return null;
        }
    }

    @Test
    void capturedActivationsAreCopiesNotViewsOfTheForwardsTensors() {
        LayerActivationDetector ln1 = new LayerActivationDetector("transformer.h.0.ln_1");
        lm.layers().registerHook("transformer.h.0.ln_1", ln1);
        run();
        float[] clean = ln1.getCaptured().toFloatArray();
        // attn's input is the very tensor ln_1 output; zeroing it after the detector ran must not reach the copy.
        lm.layers().registerHook("transformer.h.0.attn", new InputVandal("transformer.h.0.attn"));
        run();
        assertThat(ln1.getCaptured().toFloatArray()).containsExactly(clean);
        ln1.close();
    }

    /** Registers a second detector and unregisters itself from inside a forward. */
    static final class SelfReplacing extends BaseHook implements Detector {
        final LayerActivationDetector later = new LayerActivationDetector("transformer.h.1.mlp");
        int calls;

        SelfReplacing() {
            super(HookType.FORWARD, "transformer.h.0.mlp");
        }

        @Override
        public void processActivations(HookCall call) {
            calls++;
            lm.layers().registerHook("transformer.h.1.mlp", later);
            lm.layers().unregisterHook(id());
        }
    }

    @Test
    void registryChangesDuringAForwardApplyFromTheNextOne() {
        SelfReplacing hook = new SelfReplacing();
        lm.layers().registerHook("transformer.h.0.mlp", hook);
        run();
        assertThat(hook.calls).isEqualTo(1);
        assertThat(hook.later.getCaptured()).as("registered mid-forward: not run in that forward").isNull();
        assertThat(lm.layers().allHooks()).containsExactly(hook.later);
        run();
        assertThat(hook.calls).isEqualTo(1);
        assertThat(hook.later.getCaptured()).isNotNull();
        hook.later.close();
    }

    @Test
    void concurrentForwardsGiveTheSameLogits() throws Exception {
        float[] expected = run();
        LayerActivationDetector det = new LayerActivationDetector("layer_1");
        lm.layers().registerHook("layer_1", det);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<float[]>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                futures.add(pool.submit(HooksTest::run));
            }
            for (java.util.concurrent.Future<float[]> f : futures) {
                assertThat(f.get()).containsExactly(expected);
            }
        } finally {
            pool.shutdownNow();
            det.close();
        }
    }

    @Test
    void modelInputDetectorOnIdsUsesTheMask() {
        ModelInputDetector input = new ModelInputDetector();
        assertThat(input.hookType()).isEqualTo(HookType.PRE_FORWARD);
        assertThat(input.layerSignature()).isEqualTo("root");
        lm.layers().registerHook("root", input);
        run();
        assertThat(input.inputIds()).isDeepEqualTo(IDS);
        assertThat(input.attentionMask()).isDeepEqualTo(MASK);
        assertThat(input.realTokenMask()).isDeepEqualTo(new boolean[][] {{true, true, true, true},
                {true, true, false, false}});
    }

    @Test
    void modelOutputDetectorCapturesTheLogits() {
        float[] expected = run();
        ModelOutputDetector output = new ModelOutputDetector();
        lm.layers().registerHook("root", output);
        float[] logits = run();
        assertThat(logits).containsExactly(expected);
        assertThat(output.getCapturedOutput().toFloatArray()).containsExactly(expected);
        output.clearCaptured();
        assertThat(output.getCapturedOutput()).isNull();
        output.close();
    }

    /** mi-crow's enable/disable by id: a disabled hook stays registered but is skipped until enabled again. */
    @Test
    void disableHookAndEnableHookSwitchOneHookById() {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        FunctionController counting = new FunctionController("layer_0", x -> {
            calls.incrementAndGet();
            return x;
        });
        String id = lm.layers().registerHook("layer_0", counting);
        lm.layers().disableHook(id);
        run();
        assertThat(calls.get()).isZero();
        assertThat(lm.layers().allHooks()).containsExactly(counting);
        lm.layers().enableHook(id);
        assertThat(counting.isEnabled()).isTrue();
        run();
        assertThat(calls.get()).isEqualTo(1);
        assertThatThrownBy(() -> lm.layers().enableHook("no-such-hook"))
                .isInstanceOf(HookException.class)
                .hasMessageContaining("'no-such-hook'");
    }

    @Test
    void hookIdsAreUniqueUnlessGiven() {
        FunctionController a = new FunctionController("layer_0", x -> x);
        FunctionController b = new FunctionController("layer_0", x -> x);
        assertThat(a.id()).isNotEqualTo(b.id()).startsWith("FunctionController-");
        BaseHook named = new BaseHook(HookType.FORWARD, null, "my-hook") {
        };
        assertThat(named.id()).isEqualTo("my-hook");
        assertThat(named.layerSignature()).isNull();
        assertThat(named.isEnabled()).isTrue();
        named.setEnabled(false);
        assertThat(named.isEnabled()).isFalse();
        assertThat(a.toString()).contains(a.id()).contains("layer_0");
        assertThatThrownBy(() -> new FunctionController("layer_0", null)).isInstanceOf(NullPointerException.class);
    }

    /** A hook without a layer signature may go anywhere; it sees the canonical name of where it went. */
    @Test
    void hookCallDescribesTheCall() {
        List<String> seen = new ArrayList<>();
        Detector detector = new Probe(seen);
        lm.layers().registerHook("blocks.1.hook_resid_post", detector);
        run();
        assertThat(seen).containsExactly("transformer.h.1.hook_resid_post FORWARD HookPoint true 2x4 past=0 step=-1");
    }

    /** Records layer, type, module, whether activations() is the output, and the batch. */
    static final class Probe extends BaseHook implements Detector {
        private final List<String> seen;

        Probe(List<String> seen) {
            super(HookType.FORWARD, null);
            this.seen = seen;
        }

        @Override
        public void processActivations(HookCall call) {
            seen.add(call.layer() + " " + call.hookType() + " " + call.module().typeName() + " "
                    + (call.activations() == call.output()) + " " + call.batch().batchSize() + "x"
                    + call.batch().seqLength() + " past=" + call.batch().pastLength() + " step="
                    + call.batch().generationStep());
        }
    }

    @Test
    void controllerCopyIsPrivate() {
        // Two controllers on one layer chain; the detector downstream sees the product, the logits of a
        // later clean run are unchanged.
        float[] clean = run();
        FunctionController first = new FunctionController("transformer.h.0.mlp", x -> x.muli(3));
        FunctionController second = new FunctionController("transformer.h.0.mlp", x -> x.muli(0.5f));
        LayerActivationDetector mlp = new LayerActivationDetector("transformer.h.0.mlp");
        lm.layers().registerHook("transformer.h.0.mlp", mlp);
        run();
        float[] plain = mlp.getCaptured().toFloatArray();
        lm.layers().unregisterHook(mlp.id());
        LayerActivationDetector residMid = new LayerActivationDetector("transformer.h.0.hook_resid_mid");
        LayerActivationDetector residPost = new LayerActivationDetector("transformer.h.0.hook_resid_post");
        lm.layers().registerHook("transformer.h.0.hook_resid_mid", residMid);
        lm.layers().registerHook("transformer.h.0.hook_resid_post", residPost);
        run();
        float[] mid = residMid.getCaptured().toFloatArray();
        float[] post = residPost.getCaptured().toFloatArray();
        lm.layers().registerHook("transformer.h.0.mlp", first);
        lm.layers().registerHook("transformer.h.0.mlp", second);
        assertThat(lm.layers().hooks("transformer.h.0.mlp")).containsExactly(first, second);
        run();
        float[] steeredPost = residPost.getCaptured().toFloatArray();
        for (int i = 0; i < post.length; i++) {
            assertThat(steeredPost[i]).isCloseTo(mid[i] + 1.5f * plain[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
        lm.layers().unregisterHook(first.id());
        lm.layers().unregisterHook(second.id());
        run();
        assertThat(residPost.getCaptured().toFloatArray()).containsExactly(post);
        lm.layers().unregisterHook(residMid.id());
        lm.layers().unregisterHook(residPost.id());
        assertThat(run()).containsExactly(clean);
        mlp.close();
        residMid.close();
        residPost.close();
    }
}
