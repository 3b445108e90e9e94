package io.microw.demo;

import ai.djl.ndarray.NDArray;
import io.microw.demo.Floats.Tensor;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Detector;
import io.microw.hooks.FunctionController;
import io.microw.hooks.Hook;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.hooks.LayerActivationDetector;
import io.microw.hooks.ModelInputDetector;
import io.microw.hooks.ModelOutputDetector;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.tokenizer.Encodings;
import io.microw.tokenizer.PaddingSide;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.microw.demo.Floats.logits;
import static io.microw.demo.Floats.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pre-forward controllers, per-call options, padding sides, failing hooks and the model input/output detectors. */
class InferenceOptionsTest {

    private static final double SAME = 1e-5;
    private static final double CHANGED = 1e-3;
    private static final List<String> TEXTS = List.of("The jury said it did not find any evidence",
            "Hello, world!", "In the morning the committee approved the plan for the new city hall");

    private static LanguageModel lm;
    private static Tensor baseline;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        baseline = logits(lm, TEXTS);
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void noHookLeftBehind() {
        HookHygiene.assertNoHooksLeft(lm);
    }

    private static Tensor logitsWith(List<String> texts, InferenceOptions options, Hook... hooks) {
        List<String> ids = new ArrayList<>();
        try {
            for (Hook h : hooks) {
                ids.add(lm.layers().registerHook(h.layerSignature(), h));
            }
            return logits(lm, texts, options);
        } finally {
            ids.forEach(lm.layers()::unregisterHook);
        }
    }

    /** Counts the calls it gets. */
    static final class CountingDetector extends BaseHook implements Detector {
        int calls;

        CountingDetector(String layer) {
            super(HookType.FORWARD, layer);
        }

        @Override
        public void processActivations(HookCall call) {
            calls++;
        }
    }

    @Test
    void preForwardControllerReplacesTheModuleInput() {
        InferenceOptions d = InferenceOptions.defaults();
        // c_proj's input is act's output: scaling either gives the same model.
        Tensor pre = logitsWith(TEXTS, d,
                new FunctionController("transformer.h.0.mlp.c_proj", HookType.PRE_FORWARD, x -> x.mul(1.7f)));
        Tensor post = logitsWith(TEXTS, d, new FunctionController("transformer.h.0.mlp.act", x -> x.mul(1.7f)));
        assertThat(maxDiff(pre, post)).isLessThan(SAME);
        assertThat(maxDiff(pre, baseline)).isGreaterThan(CHANGED);

        // The block's MLP output is what c_proj computed from the replaced input.
        LayerActivationDetector mlp = new LayerActivationDetector("transformer.h.0.mlp");
        logitsWith(TEXTS, d, mlp,
                new FunctionController("transformer.h.0.mlp.c_proj", HookType.PRE_FORWARD, x -> x.mul(1.7f)));
        float[] viaPre = mlp.getCaptured().toFloatArray();
        logitsWith(TEXTS, d, mlp, new FunctionController("transformer.h.0.mlp.act", x -> x.mul(1.7f)));
        assertThat(maxDiff(viaPre, mlp.getCaptured().toFloatArray())).isLessThan(SAME);
        logitsWith(TEXTS, d, mlp);
        assertThat(maxDiff(viaPre, mlp.getCaptured().toFloatArray())).isGreaterThan(CHANGED);
        mlp.close();
    }

    @Test
    void withControllersFalseSkipsControllersForOneCall() {
        FunctionController controller = new FunctionController("layer_0", x -> x.mul(1.5f));
        CountingDetector detector = new CountingDetector("layer_2");
        String c = lm.layers().registerHook("layer_0", controller);
        String dId = lm.layers().registerHook("layer_2", detector);
        try {
            Tensor off = logits(lm, TEXTS, InferenceOptions.defaults().withControllers(false));
            assertThat(maxDiff(off, baseline)).isZero();
            assertThat(detector.calls).as("detectors still run").isEqualTo(1);
            Tensor on = logits(lm, TEXTS);
            assertThat(maxDiff(on, baseline)).isGreaterThan(CHANGED);
            Tensor offAgain = logits(lm, TEXTS, InferenceOptions.defaults().withControllers(false));
            assertThat(maxDiff(offAgain, baseline)).isZero();
            assertThat(maxDiff(logits(lm, TEXTS), on)).isZero();
            assertThat(detector.calls).isEqualTo(4);
        } finally {
            lm.layers().unregisterHook(c);
            lm.layers().unregisterHook(dId);
        }
    }

    @Test
    void stopAfterLayerReturnsThatLayersOutput() {
        LayerActivationDetector layer1 = new LayerActivationDetector("layer_1");
        CountingDetector later = new CountingDetector("layer_2");
        CountingDetector head = new CountingDetector("lm_head");
        String a = lm.layers().registerHook("layer_1", layer1);
        String b = lm.layers().registerHook("layer_2", later);
        String h = lm.layers().registerHook("lm_head", head);
        try {
            logits(lm, TEXTS);
            Tensor full = Tensor.of(layer1.getCaptured());
            assertThat(later.calls).isEqualTo(1);
            try (InferenceResult r = lm.inference().executeInference(TEXTS,
                    InferenceOptions.defaults().withStopAfterLayer("layer_1"))) {
                assertThat(r.stoppedAfter()).hasValue("transformer.h.1");
                assertThat(r.output().getShape().getShape()).containsExactly(3, r.encodings().seqLength(), 256);
                assertThat(maxDiff(Tensor.of(r.output()), full)).isZero();
                assertThatThrownBy(r::logits).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("transformer.h.1");
            }
            assertThat(later.calls).as("layers after the stop layer do not run").isEqualTo(1);
            assertThat(head.calls).isEqualTo(1);
            // A stop run leaves nothing behind: the next full run is as before.
            assertThat(maxDiff(logits(lm, TEXTS), baseline)).isZero();
            assertThat(later.calls).isEqualTo(2);
        } finally {
            lm.layers().unregisterHook(a);
            lm.layers().unregisterHook(b);
            lm.layers().unregisterHook(h);
            layer1.close();
        }
    }

    @Test
    void stopAfterLayerSeesControllersBeforeIt() {
        FunctionController c = new FunctionController("layer_0", x -> x.mul(1.5f));
        LayerActivationDetector layer1 = new LayerActivationDetector("layer_1");
        logitsWith(TEXTS, InferenceOptions.defaults(), c, layer1);
        Tensor expected = Tensor.of(layer1.getCaptured());
        layer1.close();
        String id = lm.layers().registerHook("layer_0", new FunctionController("layer_0", x -> x.mul(1.5f)));
        try (InferenceResult r = lm.inference().executeInference(TEXTS,
                InferenceOptions.defaults().withStopAfterLayer("blocks.1"))) {
            assertThat(maxDiff(Tensor.of(r.output()), expected)).isZero();
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    @Test
    void leftAndRightPaddingGiveTheSameRealTokenLogits() {
        Encodings left;
        Encodings right;
        Tensor l;
        Tensor r;
        try (InferenceResult res = lm.inference().executeInference(TEXTS,
                InferenceOptions.defaults().withPaddingSide(PaddingSide.LEFT))) {
            left = res.encodings();
            l = Tensor.of(res.logits());
        }
        try (InferenceResult res = lm.inference().executeInference(TEXTS,
                InferenceOptions.defaults().withPaddingSide(PaddingSide.RIGHT))) {
            right = res.encodings();
            r = Tensor.of(res.logits());
        }
        assertThat(left.paddingSide()).isEqualTo(PaddingSide.LEFT);
        int seq = left.seqLength();
        for (int b = 0; b < TEXTS.size(); b++) {
            int len = (int) java.util.Arrays.stream(left.attentionMask()[b]).sum();
            assertThat(len).isEqualTo((int) java.util.Arrays.stream(right.attentionMask()[b]).sum());
            Tensor alone = logits(lm, List.of(TEXTS.get(b)));
            assertThat(alone.shape()[1]).isEqualTo(len);
            for (int j = 0; j < len; j++) {
                int lp = seq - len + j;
                assertThat(left.inputIds()[b][lp]).isEqualTo(right.inputIds()[b][j]);
                assertThat(left.attentionMask()[b][lp]).isEqualTo(1);
                double lr = maxDiff(l.row(b, lp), r.row(b, j));
                double la = maxDiff(l.row(b, lp), alone.row(0, j));
                assertThat(lr).as("row %d token %d left vs right", b, j).isLessThan(1e-4);
                assertThat(la).as("row %d token %d left vs alone", b, j).isLessThan(1e-4);
            }
            if (len < seq) {
                assertThat(left.attentionMask()[b][0]).isZero();
                assertThat(right.attentionMask()[b][seq - 1]).isZero();
            }
        }
        assertThat(java.util.Arrays.stream(left.attentionMask()).anyMatch(row -> row[0] == 0))
                .as("the texts differ in length, so some row is padded").isTrue();
    }

    @Test
    void throwingHookAbortsWithHookExceptionAndTheModelRecovers() {
        LayerActivationDetector healthy = new LayerActivationDetector("layer_0");
        FunctionController bomb = new FunctionController("transformer.h.1.mlp", x -> {
            throw new ArithmeticException("boom at the MLP");
        });
        String healthyId = lm.layers().registerHook("layer_0", healthy);
        String bombId = lm.layers().registerHook("transformer.h.1.mlp", bomb);
        try {
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(() -> lm.inference().executeInference(TEXTS))
                        .isInstanceOf(HookException.class)
                        .hasMessageContaining(bombId)
                        .hasMessageContaining("transformer.h.1.mlp")
                        .hasMessageContaining("boom at the MLP")
                        .hasRootCauseInstanceOf(ArithmeticException.class);
            }
            assertThat(lm.layers().allHooks()).hasSize(2);
        } finally {
            lm.layers().unregisterHook(bombId);
        }
        try {
            assertThat(maxDiff(logits(lm, TEXTS), baseline)).isZero();
            assertThat(healthy.getCaptured().getShape().get(0)).isEqualTo(3);
        } finally {
            lm.layers().unregisterHook(healthyId);
            healthy.close();
        }
        // A throwing detector is reported the same way.
        Detector badDetector = new BaseDetector("layer_3", "detector exploded");
        String id = lm.layers().registerHook("layer_3", badDetector);
        try {
            assertThatThrownBy(() -> lm.inference().executeInference(TEXTS))
                    .isInstanceOf(HookException.class)
                    .hasMessageContaining(id)
                    .hasMessageContaining("transformer.h.3")
                    .hasMessageContaining("detector exploded");
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(maxDiff(logits(lm, TEXTS), baseline)).isZero();
    }

    /** A detector that always throws. */
    static final class BaseDetector extends BaseHook implements Detector {
        private final String message;

        BaseDetector(String layer, String message) {
            super(HookType.FORWARD, layer, "exploding-detector");
            this.message = message;
        }

        @Override
        public void processActivations(HookCall call) {
            throw new IllegalStateException(message);
        }
    }

    @Test
    void controllerReturningTheWrongShapeFailsClearly() {
        FunctionController bad = new FunctionController("layer_1", x -> x.get(":, :1, :"));
        String id = lm.layers().registerHook("layer_1", bad);
        try {
            assertThatThrownBy(() -> lm.inference().executeInference(TEXTS))
                    .isInstanceOf(HookException.class)
                    .hasMessageContaining(id)
                    .hasMessageContaining("(3, 1, 256)")
                    .hasMessageContaining("(3, " + baseline.shape()[1] + ", 256)");
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(maxDiff(logits(lm, TEXTS), baseline)).isZero();
    }

    @Test
    void disabledHooksDoNotRun() {
        FunctionController c = new FunctionController("layer_0", x -> x.mul(3f));
        CountingDetector det = new CountingDetector("layer_1");
        String cId = lm.layers().registerHook("layer_0", c);
        String dId = lm.layers().registerHook("layer_1", det);
        try {
            lm.layers().disableHook(cId);
            assertThat(maxDiff(logits(lm, TEXTS), baseline)).isZero();
            lm.layers().disableAllHooks();
            logits(lm, TEXTS);
            assertThat(det.calls).isEqualTo(1);
            lm.layers().enableAllHooks();
            assertThat(maxDiff(logits(lm, TEXTS), baseline)).isGreaterThan(CHANGED);
            assertThat(det.calls).isEqualTo(2);
        } finally {
            lm.layers().unregisterHook(cId);
            lm.layers().unregisterHook(dId);
        }
    }

    @Test
    void modelInputAndOutputDetectorsCaptureWhatTheModelSaw() {
        List<String> texts = List.of("The jury said it", "Hi<|endoftext|>", "A");
        ModelInputDetector input = new ModelInputDetector();
        ModelOutputDetector output = new ModelOutputDetector();
        String i = lm.layers().registerHook("root", input);
        String o = lm.layers().registerHook("root", output);
        try (InferenceResult r = lm.inference().executeInference(texts)) {
            Encodings enc = r.encodings();
            assertThat(input.inputIds()).isDeepEqualTo(enc.inputIds());
            assertThat(input.attentionMask()).isDeepEqualTo(enc.attentionMask());
            boolean[][] real = input.realTokenMask();
            int padding = 0;
            int special = 0;
            for (int b = 0; b < texts.size(); b++) {
                for (int s = 0; s < enc.seqLength(); s++) {
                    boolean pad = enc.attentionMask()[b][s] == 0;
                    boolean eos = !pad && enc.inputIds()[b][s] == 0;
                    padding += pad ? 1 : 0;
                    special += eos ? 1 : 0;
                    assertThat(real[b][s]).as("row %d position %d", b, s).isEqualTo(!pad && !eos);
                }
            }
            assertThat(padding).as("padding positions seen").isGreaterThan(0);
            assertThat(special).as("the literal <|endoftext|> is a special token").isEqualTo(1);
            NDArray captured = output.getCapturedOutput();
            assertThat(maxDiff(Tensor.of(captured), Tensor.of(r.logits()))).isZero();
            assertThat(captured.getManager()).isNotSameAs(r.logits().getManager());
        } finally {
            lm.layers().unregisterHook(i);
            lm.layers().unregisterHook(o);
        }
        // The captured logits outlive the result and the forward.
        assertThat(output.getCapturedOutput().isReleased()).isFalse();
        output.close();
        assertThat(lm.layers().resolve("root")).isEmpty();
    }
}
