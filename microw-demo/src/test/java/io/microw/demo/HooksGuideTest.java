package io.microw.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.microw.demo.Floats.Tensor;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.FunctionController;
import io.microw.hooks.Hook;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.microw.demo.Floats.logits;
import static io.microw.demo.Floats.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The SAE-free patterns of mi-crow's "Advanced Hooks Patterns" guide, written in Java as a user would
 * write them, run on brown-gpt2 (4 blocks, so the guide's layer_10 is layer_3 here).
 */
class HooksGuideTest {

    /** Bit-for-bit equal up to float noise of different but equivalent computations. */
    private static final double SAME = 1e-5;
    /** A real change to the logits is far larger than this. */
    private static final double CHANGED = 1e-3;

    private static final List<String> TEXT = List.of("Hello, world!");
    private static final List<String> LONG_TEXT = List.of("The jury said it did not find any evidence of fraud");

    private static LanguageModel lm;
    private static Tensor baseline;
    private static Tensor longBaseline;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        baseline = logits(lm, TEXT);
        longBaseline = logits(lm, LONG_TEXT);
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    /** Every test unregisters what it registered (pitfall 4); a leftover hook fails the test that left it. */
    @AfterEach
    void noHookLeftBehind() {
        HookHygiene.assertNoHooksLeft(lm);
    }

    /** Logits of {@code texts} with {@code hooks} registered (on their own layer signatures) for one run. */
    private static Tensor logitsWith(List<String> texts, Hook... hooks) {
        List<String> ids = new ArrayList<>();
        try {
            for (Hook h : hooks) {
                ids.add(lm.layers().registerHook(h.layerSignature(), h));
            }
            return logits(lm, texts);
        } finally {
            ids.forEach(lm.layers()::unregisterHook);
        }
    }

    // ---------------------------------------------------------------- multi-layer coordination

    @Test
    void sequentialLayerProcessingCapturesEachLayer() {
        Map<Integer, LayerActivationDetector> detectors = new LinkedHashMap<>();
        List<String> hookIds = new ArrayList<>();
        try {
            for (int i : new int[] {0, 1, 3}) {
                String layerName = "transformer.h." + i + ".attn.c_attn";
                LayerActivationDetector det = new LayerActivationDetector(layerName);
                detectors.put(i, det);
                hookIds.add(lm.layers().registerHook(layerName, det));
            }
            Tensor out;
            int seq;
            try (InferenceResult r = lm.inference().executeInference(TEXT)) {
                out = Tensor.of(r.logits());
                seq = r.encodings().seqLength();
            }
            assertThat(maxDiff(out, baseline)).as("detectors must not change the output").isZero();
            Map<Integer, Tensor> acts = new LinkedHashMap<>();
            for (Map.Entry<Integer, LayerActivationDetector> e : detectors.entrySet()) {
                NDArray captured = e.getValue().getCaptured();
                assertThat(captured).as("layer " + e.getKey()).isNotNull();
                assertThat(captured.getShape().getShape()).containsExactly(1, seq, 3 * 256);
                float mean = captured.mean().getFloat();
                System.out.printf(Locale.ROOT, "Layer %d: mean=%f%n", e.getKey(), mean);
                assertThat(Float.isFinite(mean)).isTrue();
                acts.put(e.getKey(), Tensor.of(captured));
            }
            assertThat(maxDiff(acts.get(0), acts.get(1))).isGreaterThan(CHANGED);
            assertThat(maxDiff(acts.get(1), acts.get(3))).isGreaterThan(CHANGED);
        } finally {
            hookIds.forEach(lm.layers()::unregisterHook);
            detectors.values().forEach(LayerActivationDetector::close);
        }
    }

    @Test
    void cascadingInterventionsApplyBoth() {
        FunctionController early = new FunctionController("layer_0", x -> x.mul(1.2f));
        FunctionController late = new FunctionController("layer_3", x -> x.mul(0.8f));
        String hook1 = lm.layers().registerHook("layer_0", early);
        String hook2 = lm.layers().registerHook("layer_3", late);
        Tensor both;
        try {
            both = logits(lm, TEXT);
        } finally {
            lm.layers().unregisterHook(hook1);
            lm.layers().unregisterHook(hook2);
        }
        Tensor earlyOnly = logitsWith(TEXT, new FunctionController("layer_0", x -> x.mul(1.2f)));
        Tensor lateOnly = logitsWith(TEXT, new FunctionController("layer_3", x -> x.mul(0.8f)));
        assertThat(maxDiff(both, baseline)).isGreaterThan(CHANGED);
        assertThat(maxDiff(both, lateOnly)).isGreaterThan(CHANGED);
        // layer_3 is the last block and ln_f is scale-invariant, so x0.8 there hardly moves the logits: the
        // check that it was applied is on ln_f's input below. One block earlier it does change them.
        assertThat(maxDiff(both, earlyOnly)).isLessThan(1e-3);
        assertThat(maxDiff(lateOnly, baseline)).isLessThan(1e-3);
        Tensor earlyAndLayer2 = logitsWith(TEXT, new FunctionController("layer_0", x -> x.mul(1.2f)),
                new FunctionController("layer_2", x -> x.mul(0.8f)));
        assertThat(maxDiff(earlyAndLayer2, earlyOnly)).isGreaterThan(CHANGED);

        // Hooks run in layer order, whatever the registration order.
        Tensor reversed = logitsWith(TEXT, new FunctionController("layer_3", x -> x.mul(0.8f)),
                new FunctionController("layer_0", x -> x.mul(1.2f)));
        assertThat(maxDiff(both, reversed)).isLessThan(SAME);

        // The cascade is "early, then late on what early produced": the final norm's input under both
        // controllers is 0.8 times block 3's output under the early controller alone.
        LayerActivationDetector lnfInput = new LayerActivationDetector("transformer.ln_f", HookType.PRE_FORWARD);
        logitsWith(TEXT, new FunctionController("layer_0", x -> x.mul(1.2f)), lnfInput);
        Tensor h3Early = Tensor.of(lnfInput.getCaptured());
        logitsWith(TEXT, new FunctionController("layer_0", x -> x.mul(1.2f)),
                new FunctionController("layer_3", x -> x.mul(0.8f)), lnfInput);
        Tensor lnfBoth = Tensor.of(lnfInput.getCaptured());
        lnfInput.close();
        assertThat(maxDiff(lnfBoth.values(), Floats.scaled(h3Early.values(), 0.8f))).isLessThan(1e-4);

        // ... and the same as applying the second scale by hand at a different hook point.
        Tensor byHand = logitsWith(TEXT, new FunctionController("layer_0", x -> x.mul(1.2f)),
                new FunctionController("transformer.ln_f", HookType.PRE_FORWARD, x -> x.mul(0.8f)));
        assertThat(maxDiff(both, byHand)).isLessThan(SAME);
    }

    /** The guide's CoordinatedController: scales its layer by the mean of another layer's captured output. */
    static final class CoordinatedController extends BaseHook implements Controller {

        private final LayerActivationDetector referenceDetector;
        float lastScale = Float.NaN;

        CoordinatedController(String layerSignature, LayerActivationDetector referenceDetector) {
            super(HookType.FORWARD, layerSignature);
            this.referenceDetector = referenceDetector;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            NDArray refActivations = referenceDetector.getCaptured();
            NDArray output = call.output();
            if (refActivations != null) {
                float scale;
                try (NDArray mean = refActivations.mean()) { // the mean lives in the detector's manager: free it
                    scale = mean.getFloat();
                }
                lastScale = scale;
                return output.mul(1.0f + 0.1f * scale);
            }
            return output;
        }
    }

    /**
     * The guide reads layer_0 and steers layer_5. Here the reference is block 0's MLP activation (GELU output,
     * whose mean is far from 0; the residual stream's mean is ~0, which would make the scale ~1) and the target
     * layer_2 (layer_3 feeds the scale-invariant ln_f).
     */
    @Test
    void crossLayerCommunication() {
        String reference = "transformer.h.0.mlp.act";
        // With nothing captured yet the controller leaves its layer alone.
        LayerActivationDetector unregistered = new LayerActivationDetector(reference);
        assertThat(maxDiff(logitsWith(TEXT, new CoordinatedController("layer_2", unregistered)), baseline)).isZero();

        LayerActivationDetector refDetector = new LayerActivationDetector(reference);
        CoordinatedController coordinated = new CoordinatedController("layer_2", refDetector);
        Tensor steered = logitsWith(TEXT, refDetector, coordinated);
        float scale = coordinated.lastScale;
        assertThat(scale).isFinite();
        // Block 0 runs before layer_2 and is not changed by it: the reference is this forward's activation.
        float expectedScale;
        try (NDArray m = refDetector.getCaptured().mean()) {
            expectedScale = m.getFloat();
        }
        assertThat(scale).isEqualTo(expectedScale);
        assertThat(maxDiff(steered, baseline)).isGreaterThan(CHANGED);
        assertThat(Math.abs(0.1f * scale)).as("the scale is not trivially 1").isGreaterThan(1e-3f);
        Tensor same = logitsWith(TEXT, new FunctionController("layer_2", x -> x.mul(1.0f + 0.1f * expectedScale)));
        assertThat(maxDiff(steered, same)).isLessThan(SAME);
        refDetector.close();
        unregistered.close();
    }

    // ---------------------------------------------------------------- conditional execution

    /** Only modifies when the mean absolute activation exceeds a threshold. */
    static final class ConditionalController extends BaseHook implements Controller {

        private final double threshold;
        int fired;

        ConditionalController(String layerSignature, double threshold) {
            super(HookType.FORWARD, layerSignature);
            this.threshold = threshold;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            NDArray output = call.output();
            if (output == null) {
                return null;
            }
            if (output.abs().mean().getFloat() > threshold) {
                fired++;
                return output.mul(1.5f);
            }
            return output;
        }
    }

    @Test
    void activationBasedCondition() {
        LayerActivationDetector det = new LayerActivationDetector("layer_1");
        logitsWith(TEXT, det);
        double meanAbs = Floats.meanAbs(det.getCaptured().toFloatArray());
        det.close();
        Tensor scaled = logitsWith(TEXT, new FunctionController("layer_1", x -> x.mul(1.5f)));

        ConditionalController below = new ConditionalController("layer_1", meanAbs * 0.9);
        assertThat(maxDiff(logitsWith(TEXT, below), scaled)).isLessThan(SAME);
        assertThat(below.fired).isEqualTo(1);

        ConditionalController above = new ConditionalController("layer_1", meanAbs * 1.1);
        assertThat(maxDiff(logitsWith(TEXT, above), baseline)).isZero();
        assertThat(above.fired).isZero();
        assertThat(maxDiff(scaled, baseline)).isGreaterThan(CHANGED);
    }

    /** Modifies only the given sequence positions. */
    static final class TokenConditionalController extends BaseHook implements Controller {

        private final Set<Integer> tokenIndices;

        TokenConditionalController(String layerSignature, Set<Integer> tokenIndices) {
            super(HookType.FORWARD, layerSignature);
            this.tokenIndices = new TreeSet<>(tokenIndices);
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            NDArray output = call.output();
            if (output == null) {
                return null;
            }
            NDArray modified = output.duplicate();
            long seq = modified.getShape().get(1);
            for (int idx : tokenIndices) {
                if (idx < seq) {
                    NDIndex at = new NDIndex(":, {}, :", idx);
                    modified.set(at, modified.get(at).mul(2.0f));
                }
            }
            return modified;
        }
    }

    @Test
    void tokenBasedConditionTouchesOnlyThosePositions() {
        Set<Integer> positions = Set.of(2, 4, 1000);
        // transformer.h.2.hook_resid_pre is block 2's input, i.e. block 1's (possibly modified) output.
        LayerActivationDetector next = new LayerActivationDetector("transformer.h.2.hook_resid_pre");
        logitsWith(LONG_TEXT, next);
        Tensor before = Tensor.of(next.getCaptured());
        Tensor steered = logitsWith(LONG_TEXT, new TokenConditionalController("layer_1", positions), next);
        Tensor after = Tensor.of(next.getCaptured());
        next.close();
        int seq = (int) before.shape()[1];
        assertThat(seq).isGreaterThan(5);
        for (int s = 0; s < seq; s++) {
            float[] expected = positions.contains(s) ? Floats.scaled(before.row(0, s), 2f) : before.row(0, s);
            assertThat(maxDiff(after.row(0, s), expected)).as("layer_1 output at position " + s).isZero();
        }
        // Causal model: positions before the first modified one keep their logits; later ones change.
        for (int s = 0; s < seq; s++) {
            double d = maxDiff(steered.row(0, s), longBaseline.row(0, s));
            if (s < 2) {
                assertThat(d).as("logits at position " + s).isLessThan(SAME);
            } else {
                assertThat(d).as("logits at position " + s).isGreaterThan(CHANGED);
            }
        }
    }

    /** Modifies every n-th batch only. */
    static final class BatchConditionalController extends BaseHook implements Controller {

        private final int every;
        int batchCount;

        BatchConditionalController(String layerSignature, int every) {
            super(HookType.FORWARD, layerSignature);
            this.every = every;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            batchCount++;
            if (batchCount % every == 0) {
                return call.output().mul(1.5f);
            }
            return call.output();
        }
    }

    @Test
    void batchBasedConditionEveryTenthBatch() {
        Tensor scaled = logitsWith(TEXT, new FunctionController("layer_2", x -> x.mul(1.5f)));
        BatchConditionalController controller = new BatchConditionalController("layer_2", 10);
        String id = lm.layers().registerHook("layer_2", controller);
        try {
            for (int batch = 1; batch <= 20; batch++) {
                Tensor out = logits(lm, TEXT);
                if (batch % 10 == 0) {
                    assertThat(maxDiff(out, scaled)).as("batch " + batch).isLessThan(SAME);
                } else {
                    assertThat(maxDiff(out, baseline)).as("batch " + batch).isZero();
                }
            }
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(controller.batchCount).isEqualTo(20);
    }

    // ---------------------------------------------------------------- composition

    /** Applies transformations in sequence. */
    static final class PipelineController extends BaseHook implements Controller {

        private final List<UnaryOperator<NDArray>> transformations;

        PipelineController(String layerSignature, List<UnaryOperator<NDArray>> transformations) {
            super(HookType.FORWARD, layerSignature);
            this.transformations = List.copyOf(transformations);
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            NDArray result = call.output();
            for (UnaryOperator<NDArray> transform : transformations) {
                result = transform.apply(result);
            }
            return result;
        }
    }

    /** (x - mean) / (std + 1e-8) over the whole tensor, population std. */
    private static NDArray normalize(NDArray x) {
        NDArray centered = x.sub(x.mean());
        NDArray std = centered.pow(2).mean().sqrt();
        return centered.div(std.add(1e-8f));
    }

    @Test
    void pipelineOfTransformations() {
        LayerActivationDetector next = new LayerActivationDetector("transformer.h.1.hook_resid_pre");
        logitsWith(TEXT, next);
        float[] base = next.getCaptured().toFloatArray();
        PipelineController pipeline = new PipelineController("layer_0", List.of(
                x -> x.mul(1.2f),            // scale
                x -> x.clip(-2, 2),          // clamp
                HooksGuideTest::normalize)); // normalize
        Tensor steered = logitsWith(TEXT, pipeline, next);
        float[] got = next.getCaptured().toFloatArray();
        next.close();

        float[] expected = new float[base.length];
        for (int i = 0; i < base.length; i++) {
            expected[i] = Math.max(-2f, Math.min(2f, base[i] * 1.2f));
        }
        double mean = Floats.mean(expected);
        double std = Floats.std(expected);
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (float) ((expected[i] - mean) / (std + 1e-8));
        }
        assertThat(maxDiff(got, expected)).isLessThan(1e-4);
        assertThat(Floats.mean(got)).isCloseTo(0.0, within(1e-4));
        assertThat(Floats.std(got)).isCloseTo(1.0, within(1e-3));
        assertThat(maxDiff(steered, baseline)).isGreaterThan(CHANGED);
    }

    /** Applies one pipeline or another depending on a condition on the activations. */
    static final class ConditionalPipeline extends BaseHook implements Controller {

        private final Predicate<NDArray> conditionFn;
        private final UnaryOperator<NDArray> pipelineA;
        private final UnaryOperator<NDArray> pipelineB;

        ConditionalPipeline(String layerSignature, Predicate<NDArray> conditionFn, UnaryOperator<NDArray> pipelineA,
                            UnaryOperator<NDArray> pipelineB) {
            super(HookType.FORWARD, layerSignature);
            this.conditionFn = conditionFn;
            this.pipelineA = pipelineA;
            this.pipelineB = pipelineB;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            NDArray output = call.output();
            return conditionFn.test(output) ? pipelineA.apply(output) : pipelineB.apply(output);
        }
    }

    @Test
    void conditionalComposition() {
        UnaryOperator<NDArray> a = x -> x.mul(1.5f);
        UnaryOperator<NDArray> b = x -> x.clip(-0.5, 0.5);
        Tensor viaA = logitsWith(TEXT, new FunctionController("layer_1", a));
        Tensor viaB = logitsWith(TEXT, new FunctionController("layer_1", b));
        assertThat(maxDiff(viaA, viaB)).isGreaterThan(CHANGED);
        assertThat(maxDiff(viaB, baseline)).isGreaterThan(CHANGED);

        Tensor low = logitsWith(TEXT, new ConditionalPipeline("layer_1", x -> x.abs().mean().getFloat() > 0.0, a, b));
        Tensor high = logitsWith(TEXT, new ConditionalPipeline("layer_1", x -> x.abs().mean().getFloat() > 1e6, a, b));
        assertThat(maxDiff(low, viaA)).isLessThan(SAME);
        assertThat(maxDiff(high, viaB)).isLessThan(SAME);
    }

    // ---------------------------------------------------------------- performance

    @Test
    void batchProcessingRegistersOnceAndCleansUpOnce() {
        List<List<String>> dataset = List.of(TEXT, LONG_TEXT, List.of("One", "Two words", "And three words"),
                List.of("Last batch of the dataset"));
        List<String> layers = List.of("layer_0", "transformer.h.1.attn.c_attn", "blocks.2.hook_resid_post");
        List<LayerActivationDetector> dets = new ArrayList<>();
        List<String> hookIds = new ArrayList<>();
        int batches = 0;
        try {
            for (String layer : layers) {
                LayerActivationDetector det = new LayerActivationDetector(layer);
                dets.add(det);
                hookIds.add(lm.layers().registerHook(layer, det));
            }
            for (List<String> batch : dataset) {
                try (InferenceResult r = lm.inference().executeInference(batch)) {
                    long[] expected = {batch.size(), r.encodings().seqLength()};
                    for (LayerActivationDetector det : dets) {
                        long[] shape = det.getCaptured().getShape().getShape();
                        assertThat(Arrays.copyOf(shape, 2)).as(det.layerSignature()).containsExactly(expected);
                    }
                }
                batches++;
                if (batches % 2 == 0) { // clearing old data periodically
                    dets.forEach(LayerActivationDetector::clearCaptured);
                    assertThat(dets).allMatch(d -> d.getCaptured() == null);
                }
            }
        } finally {
            hookIds.forEach(lm.layers()::unregisterHook);
            dets.forEach(LayerActivationDetector::close);
        }
        assertThat(batches).isEqualTo(4);
        assertThat(lm.layers().allHooks()).isEmpty();
    }

    // ---------------------------------------------------------------- memory

    /** Keeps a CPU copy per batch in its own manager and drops them all once it holds more than maxBatches. */
    static final class MemoryEfficientDetector extends BaseHook implements Detector, AutoCloseable {

        private final int maxBatches;
        private final NDManager manager = NDManager.newBaseManager(Device.cpu());
        final Map<String, NDArray> tensorMetadata = new LinkedHashMap<>();
        final List<NDArray> everyCopy = new ArrayList<>(); // test bookkeeping only (Java objects, native freed)
        int batchCount;
        int mostKept;

        MemoryEfficientDetector(String layerSignature, int maxBatches) {
            super(HookType.FORWARD, layerSignature);
            this.maxBatches = maxBatches;
        }

        @Override
        public void processActivations(HookCall call) {
            batchCount++;
            if (batchCount > maxBatches) {
                tensorMetadata.values().forEach(NDArray::close);
                tensorMetadata.clear();
                batchCount = 1;
            }
            NDArray output = call.output();
            if (output != null) {
                NDArray copy = output.toDevice(Device.cpu(), true);
                copy.attach(manager);
                tensorMetadata.put("activations_" + call.batch().batchIndex(), copy);
                everyCopy.add(copy);
            }
            mostKept = Math.max(mostKept, tensorMetadata.size());
        }

        int managedArrays() {
            return manager.getManagedArrays().size();
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    @Test
    void memoryEfficientDetectorKeepsAtMostMaxBatches() {
        MemoryEfficientDetector det = new MemoryEfficientDetector("layer_2", 4);
        LayerActivationDetector last = new LayerActivationDetector("layer_2");
        String id = lm.layers().registerHook("layer_2", det);
        String lastId = lm.layers().registerHook("layer_2", last);
        try {
            for (int i = 0; i < 11; i++) {
                logits(lm, TEXT).values();
                assertThat(det.tensorMetadata.size()).isLessThanOrEqualTo(4);
                assertThat(det.managedArrays()).isLessThanOrEqualTo(4);
            }
            assertThat(det.mostKept).isEqualTo(4);
            assertThat(det.everyCopy).hasSize(11);
            long released = det.everyCopy.stream().filter(NDArray::isReleased).count();
            assertThat(released).isEqualTo(11 - det.tensorMetadata.size());
            NDArray newest = det.everyCopy.get(10);
            assertThat(newest.isReleased()).isFalse();
            assertThat(maxDiff(newest.toFloatArray(), last.getCaptured().toFloatArray())).isZero();
        } finally {
            lm.layers().unregisterHook(id);
            lm.layers().unregisterHook(lastId);
            det.close();
            last.close();
        }
        assertThat(det.everyCopy).allMatch(NDArray::isReleased);
    }

    /** Keeps the last N batches only. */
    static final class LimitedAccumulator extends BaseHook implements Detector, AutoCloseable {

        private final int maxBatches;
        private final NDManager manager = NDManager.newBaseManager(Device.cpu());
        final Deque<NDArray> batches = new ArrayDeque<>();
        final Deque<Long> batchIndices = new ArrayDeque<>();

        LimitedAccumulator(String layerSignature, int maxBatches) {
            super(HookType.FORWARD, layerSignature);
            this.maxBatches = maxBatches;
        }

        @Override
        public void processActivations(HookCall call) {
            NDArray copy = call.output().toDevice(Device.cpu(), true);
            copy.attach(manager);
            batches.addLast(copy);
            batchIndices.addLast(call.batch().batchIndex());
            if (batches.size() > maxBatches) {
                batches.removeFirst().close(); // remove oldest
                batchIndices.removeFirst();
            }
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    @Test
    void limitedAccumulatorKeepsTheLastN() {
        LimitedAccumulator acc = new LimitedAccumulator("transformer.h.0.mlp", 3);
        String id = lm.layers().registerHook("transformer.h.0.mlp", acc);
        List<Long> seen = new ArrayList<>();
        ModelInputRecorder recorder = new ModelInputRecorder();
        String recId = lm.layers().registerHook("root", recorder);
        try {
            List<NDArray> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                logits(lm, i % 2 == 0 ? TEXT : LONG_TEXT);
                seen.add(recorder.lastBatchIndex);
                all.add(acc.batches.peekLast());
                assertThat(acc.batches.size()).isEqualTo(Math.min(i + 1, 3));
                assertThat(acc.manager.getManagedArrays()).hasSize(acc.batches.size());
            }
            assertThat(acc.batchIndices).containsExactlyElementsOf(seen.subList(5, 8));
            assertThat(all.subList(0, 5)).allMatch(NDArray::isReleased);
            assertThat(all.subList(5, 8)).noneMatch(NDArray::isReleased);
            // The newest kept batch is the long text's block-0 MLP output.
            assertThat(acc.batches.peekLast().getShape().get(1)).isEqualTo(longBaseline.shape()[1]);
        } finally {
            lm.layers().unregisterHook(id);
            lm.layers().unregisterHook(recId);
            acc.close();
        }
    }

    /** Remembers the batch index of the last forward. */
    static final class ModelInputRecorder extends BaseHook implements Detector {
        long lastBatchIndex = -1;

        ModelInputRecorder() {
            super(HookType.PRE_FORWARD, "root");
        }

        @Override
        public void processActivations(HookCall call) {
            lastBatchIndex = call.batch().batchIndex();
        }
    }

    // ---------------------------------------------------------------- debugging

    /** Logs every modification (java.util.logging, FINE = the guide's debug). */
    static final class LoggingController extends BaseHook implements Controller {

        static final Logger LOGGER = Logger.getLogger(LoggingController.class.getName());

        LoggingController(String layerSignature) {
            super(HookType.FORWARD, layerSignature);
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            NDArray output = call.output();
            if (output != null) {
                float mean = output.mean().getFloat();
                NDArray centered = output.sub(mean);
                float std = centered.pow(2).mean().sqrt().getFloat();
                LOGGER.fine(String.format(Locale.ROOT, "Hook %s: shape=%s, mean=%.6f, std=%.6f", id(),
                        output.getShape(), mean, std));
            }
            return output.mul(2.0f);
        }
    }

    @Test
    void loggingControllerLogsEachCall() {
        List<LogRecord> records = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        Logger logger = LoggingController.LOGGER;
        Level old = logger.getLevel();
        logger.setLevel(Level.FINE);
        logger.addHandler(capture);
        LayerActivationDetector det = new LayerActivationDetector("layer_1");
        logitsWith(TEXT, det);
        float[] base = det.getCaptured().toFloatArray();
        long[] shape = det.getCaptured().getShape().getShape();
        det.close();
        LoggingController controller = new LoggingController("layer_1");
        Tensor steered;
        try {
            String id = lm.layers().registerHook("layer_1", controller);
            try {
                steered = logits(lm, TEXT);
                logits(lm, TEXT);
            } finally {
                lm.layers().unregisterHook(id);
            }
        } finally {
            logger.removeHandler(capture);
            logger.setLevel(old);
        }
        assertThat(records).hasSize(2);
        LogRecord first = records.get(0);
        assertThat(first.getLevel()).isEqualTo(Level.FINE);
        assertThat(first.getMessage()).startsWith("Hook " + controller.id() + ": shape=(" + shape[0] + ", "
                + shape[1] + ", " + shape[2] + ")");
        double loggedMean = Double.parseDouble(first.getMessage().replaceAll(".*mean=([-0-9.]+),.*", "$1"));
        double loggedStd = Double.parseDouble(first.getMessage().replaceAll(".*std=([-0-9.]+)$", "$1"));
        assertThat(loggedMean).isCloseTo(Floats.mean(base), within(1e-4));
        assertThat(loggedStd).isCloseTo(Floats.std(base), within(1e-3));
        assertThat(maxDiff(steered, logitsWith(TEXT, new FunctionController("layer_1", x -> x.mul(2f)))))
                .isLessThan(SAME);
    }

    /** Counts modifications and their average scale. */
    static final class StatisticsController extends BaseHook implements Controller {

        private int modificationCount;
        private double totalScale;

        StatisticsController(String layerSignature) {
            super(HookType.FORWARD, layerSignature);
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            modificationCount++;
            float scale = 2.0f;
            totalScale += scale;
            return call.output().mul(scale);
        }

        Map<String, Number> getStats() {
            return Map.of("modifications", modificationCount,
                    "avg_scale", modificationCount > 0 ? totalScale / modificationCount : 0.0);
        }
    }

    @Test
    void statisticsControllerCounts() {
        StatisticsController stats = new StatisticsController("transformer.h.1.mlp");
        assertThat(stats.getStats()).containsEntry("modifications", 0).containsEntry("avg_scale", 0.0);
        Tensor expected = logitsWith(TEXT, new FunctionController("transformer.h.1.mlp", x -> x.mul(2f)));
        String id = lm.layers().registerHook("transformer.h.1.mlp", stats);
        try {
            for (int i = 0; i < 3; i++) {
                assertThat(maxDiff(logits(lm, TEXT), expected)).isLessThan(SAME);
            }
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(stats.getStats()).containsEntry("modifications", 3).containsEntry("avg_scale", 2.0);
        logits(lm, TEXT);
        assertThat(stats.getStats()).as("no calls after unregistering").containsEntry("modifications", 3);
    }

    // ---------------------------------------------------------------- pitfalls

    @Test
    void pitfall1InPlaceEditCannotCorruptTheModel() {
        for (String layer : List.of("layer_0", "transformer.wte", "transformer.drop", "transformer.h.1.hook_resid_pre",
                "transformer.h.2.attn.c_attn", "lm_head")) {
            Tensor inPlace = logitsWith(TEXT, new FunctionController(layer, x -> x.muli(2)));
            Tensor copy = logitsWith(TEXT, new FunctionController(layer, x -> x.mul(2)));
            assertThat(maxDiff(inPlace, copy)).as(layer).isZero();
            assertThat(maxDiff(inPlace, baseline)).as(layer).isGreaterThan(CHANGED);
            assertThat(maxDiff(logits(lm, TEXT), baseline)).as("after unregistering from " + layer).isZero();
        }
        for (String layer : List.of("transformer.h.0.mlp.c_proj", "transformer.h.1.hook_resid_pre", "lm_head")) {
            Tensor inPlace = logitsWith(TEXT, new FunctionController(layer, HookType.PRE_FORWARD, x -> x.muli(2)));
            Tensor copy = logitsWith(TEXT, new FunctionController(layer, HookType.PRE_FORWARD, x -> x.mul(2)));
            assertThat(maxDiff(inPlace, copy)).as("PRE_FORWARD " + layer).isZero();
            assertThat(maxDiff(inPlace, baseline)).as("PRE_FORWARD " + layer).isGreaterThan(CHANGED);
            assertThat(maxDiff(logits(lm, TEXT), baseline)).as("after unregistering from " + layer).isZero();
        }
    }

    @Test
    void pitfall2ReturningNullLeavesTheOutputUnchanged() {
        assertThat(maxDiff(logitsWith(TEXT, new FunctionController("layer_1", x -> null)), baseline)).isZero();
        UnaryOperator<NDArray> nullSafe = x -> x == null ? null : x.mul(2.0f);
        assertThat(maxDiff(logitsWith(TEXT, new FunctionController("layer_1", nullSafe)), baseline))
                .isGreaterThan(CHANGED);
        // A PRE_FORWARD controller returning null keeps the input.
        assertThat(maxDiff(logitsWith(TEXT, new FunctionController("transformer.h.1.attn", HookType.PRE_FORWARD,
                x -> null)), baseline)).isZero();
    }

    /** The guide's fix for pitfall 3: accumulate heap copies, clear when over the limit. */
    static final class BoundedDetector extends BaseHook implements Detector {

        private final int limit;
        final List<float[]> allActivations = new ArrayList<>();
        int mostKept;
        int calls;

        BoundedDetector(String layerSignature, int limit) {
            super(HookType.FORWARD, layerSignature);
            this.limit = limit;
        }

        @Override
        public void processActivations(HookCall call) {
            calls++;
            if (allActivations.size() > limit) {
                allActivations.clear();
            }
            allActivations.add(call.output().toFloatArray());
            mostKept = Math.max(mostKept, allActivations.size());
        }
    }

    @Test
    void pitfall3BoundedAccumulation() {
        BoundedDetector det = new BoundedDetector("layer_3", 5);
        String id = lm.layers().registerHook("layer_3", det);
        try {
            for (int i = 0; i < 20; i++) {
                logits(lm, TEXT);
                assertThat(det.allActivations.size()).isLessThanOrEqualTo(6);
            }
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(det.calls).isEqualTo(20);
        assertThat(det.mostKept).isEqualTo(6);
    }

    @Test
    void pitfall4UnregisterInFinally() {
        LayerActivationDetector detector = new LayerActivationDetector("layer_0");
        FunctionController failing = new FunctionController("layer_2", x -> {
            throw new IllegalStateException("user code failed");
        });
        String[] hookIds = new String[2];
        assertThatThrownBy(() -> {
            try {
                hookIds[0] = lm.layers().registerHook("layer_0", detector);
                hookIds[1] = lm.layers().registerHook("layer_2", failing);
                logits(lm, TEXT);
            } finally {
                for (String id : hookIds) {
                    if (id != null) {
                        lm.layers().unregisterHook(id);
                    }
                }
            }
        }).isInstanceOf(HookException.class).hasMessageContaining("user code failed");
        assertThat(hookIds).doesNotContainNull();
        assertThat(lm.layers().allHooks()).isEmpty();
        assertThat(lm.layers().hooks("layer_0")).isEmpty();
        assertThat(lm.layers().detectors()).isEmpty();
        assertThat(lm.layers().controllers()).isEmpty();
        assertThat(maxDiff(logits(lm, TEXT), baseline)).isZero();
        // The detector saw the forward up to the failure and is not called any more.
        NDArray captured = detector.getCaptured();
        assertThat(captured).isNotNull();
        logits(lm, LONG_TEXT);
        assertThat(detector.getCaptured().getShape().get(1)).isEqualTo(baseline.shape()[1]);
        detector.close();
    }

    @Test
    void fastControllerWithoutCloneEqualsSlowOne() {
        Tensor slow = logitsWith(TEXT, new FunctionController("layer_2", x -> x.duplicate().mul(2.0f)));
        Tensor fast = logitsWith(TEXT, new FunctionController("layer_2", x -> x.mul(2.0f)));
        assertThat(maxDiff(slow, fast)).isZero();
        assertThat(Arrays.equals(slow.shape(), baseline.shape())).isTrue();
    }
}
