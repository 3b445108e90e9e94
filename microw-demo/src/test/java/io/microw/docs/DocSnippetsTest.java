package io.microw.docs;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.microw.concepts.LatentContext;
import io.microw.concepts.SaeHook;
import io.microw.data.Datasets;
import io.microw.data.TextDataset;
import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownGpt2;
import io.microw.eval.SaeEvaluation;
import io.microw.eval.SaeEvaluator;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.FunctionController;
import io.microw.hooks.Hook;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.LoadOptions;
import io.microw.lm.RunResult;
import io.microw.models.WeightProcessing;
import io.microw.lm.SaveOptions;
import io.microw.sae.Sae;
import io.microw.sae.TopKSae;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.sae.train.StoreActivationSource;
import io.microw.sae.train.TrainingResult;
import io.microw.steering.ContrastiveOptions;
import io.microw.steering.PositionScope;
import io.microw.steering.SteeringVector;
import io.microw.store.LocalStore;
import io.microw.store.Store;
import io.microw.store.StoreDataLoader;
import io.microw.tokenizer.PaddingSide;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every Java code block of {@code docs/*.md}. Each block is the code between {@code // snippet:NAME} and
 * {@code // end-snippet} below (the Markdown names it with {@code <!-- snippet: NAME -->});
 * {@link DocsMatchSnippetsTest} checks that the two stay equal. What a test checks around a snippet is outside
 * the markers. Snippets use {@code lm}, brown-gpt2 loaded once.
 */
class DocSnippetsTest {

    static LanguageModel lm;
    static float[] baseline;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        baseline = logits("Hello, world!");
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void noHookLeftBehind() {
        List<Hook> left = lm.layers().allHooks();
        left.forEach(h -> lm.layers().unregisterHook(h.id()));
        assertThat(left).as("hooks left registered by the snippet").isEmpty();
    }

    static float[] logits(String text) {
        try (InferenceResult r = lm.inference().executeInference(List.of(text))) {
            return r.logits().toFloatArray();
        }
    }

    static double maxDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    // ================================================================ loading-models.md

    @Test
    void loadingBrown() {
        // snippet:loading.brown
        List<String> names;
        int hidden;
        try (LanguageModel model = BrownGpt2.load()) {   // or LanguageModel.load(Path.of("my-hf-model-dir"))
            System.out.println(model.config().modelType() + ", " + model.config().numLayers() + " layers, d_model "
                    + model.config().hiddenSize());
            names = model.layers().names();               // transformer.wte, ..., transformer.h.0.attn.c_attn, ...
            hidden = model.config().hiddenSize();
        }
        // end-snippet
        assertThat(names).contains("transformer.wte", "transformer.h.0.attn.c_attn", "transformer.ln_f");
        assertThat(hidden).isEqualTo(256);
    }

    @Test
    void loadingLayerNames() {
        // snippet:loading.layers
        String block = lm.layers().resolve("layer_1");                      // "transformer.h.1"
        String resid = lm.layers().resolve("blocks.1.hook_resid_post");     // TransformerLens name
        List<String> aliases = lm.layers().aliasesOf("transformer.h.1");    // layer_1, blocks.1..., mi-crow's
        long[] shape = lm.inference().layerOutputShape("layer_1");         // [batch, seq, d_model] with -1s
        // end-snippet
        assertThat(block).isEqualTo("transformer.h.1");
        assertThat(resid).startsWith("transformer.h.1");
        assertThat(aliases).contains("layer_1");
        assertThat(shape[shape.length - 1]).isEqualTo(256);
    }

    @Test
    void loadingProcessing() {
        long[][] ids = {lm.tokenizer().encode("The jury said")};
        float[] rowMeans;
        // snippet:loading.processing
        LoadOptions asTransformerLens = LoadOptions.defaults()
                .withFoldLn(true)                  // norm scale (and LayerNorm bias) folded into the layers reading it
                .withCenterWritingWeights(true)    // LayerNorm models only: residual stream with mean zero
                .withCenterUnembed(true)           // logits with mean zero over the vocabulary
                .withFoldValueBiases(true);        // value biases folded into the attention output bias
        // or .withWeightProcessing(WeightProcessing.transformerLensDefaults()) for all four at once
        try (LanguageModel processed = LanguageModel.load(BrownGpt2.directory(), asTransformerLens);
             RunResult run = processed.inference().runWithCache(ids, null, "ln_final.hook_normalized")) {
            NDArray normalized = run.cache().get("ln_final.hook_normalized");   // (x - mean) / std
            rowMeans = normalized.mean(new int[] {-1}).toFloatArray();
        }
        // end-snippet
        assertThat(rowMeans).hasSize(ids[0].length);
        for (float mean : rowMeans) {
            assertThat(Math.abs(mean)).isLessThan(1e-4f);
        }
        assertThat(asTransformerLens.weightProcessing()).isEqualTo(WeightProcessing.transformerLensDefaults());
    }

    // ================================================================ inference-and-generation.md

    @Test
    void inferenceBasic() {
        // snippet:inference.basic
        InferenceResult out = lm.inference().executeInference(List.of("Hello, world!", "The jury said"));
        NDArray logits = out.logits();                     // [batch, seq, vocab], right-padded by default
        long[] shape = logits.getShape().getShape();
        String[] tokens = out.encodings().tokens()[1];     // the tokens the model saw
        out.close();                                       // frees the result's tensors
        // end-snippet
        assertThat(shape).containsExactly(2, shape[1], 4096);
        assertThat(tokens).hasSize((int) shape[1]);
    }

    @Test
    void inferenceOptions() {
        // snippet:inference.options
        InferenceOptions options = InferenceOptions.defaults()
                .withPaddingSide(PaddingSide.LEFT)
                .withMaxLength(64)
                .withStopAfterLayer("layer_1");                // stop there and return that layer's output
        String stopped;
        long[] shape;
        try (InferenceResult out = lm.inference().executeInference(List.of("A short one", "A longer text"), options)) {
            stopped = out.stoppedAfter().orElseThrow();        // "transformer.h.1"
            shape = out.output().getShape().getShape();        // [2, seq, 256]
        }
        // end-snippet
        assertThat(stopped).isEqualTo("transformer.h.1");
        assertThat(shape[2]).isEqualTo(256);
    }

    @Test
    void generationGreedyAndSampled() {
        // snippet:generation.basic
        GenerationResult greedy = lm.inference().generate(List.of("The jury said", "He was"), GenerationConfig.greedy(12));
        System.out.println(greedy.texts().get(0));           // prompt + continuation
        System.out.println(greedy.completions().get(1));     // continuation only

        GenerationConfig sampling = GenerationConfig.builder()
                .maxNewTokens(12).temperature(0.8).topK(50).topP(0.95).seed(1).build();
        GenerationResult sampled = lm.inference().generate(List.of("The jury said"), sampling);
        // end-snippet
        assertThat(greedy.texts().get(0)).startsWith("The jury said");
        assertThat(greedy.newTokens(0).length).isBetween(1, 12);
        GenerationResult again = lm.inference().generate(List.of("The jury said"), GenerationConfig.builder()
                .maxNewTokens(12).temperature(0.8).topK(50).topP(0.95).seed(1).build());
        assertThat(again.texts()).isEqualTo(sampled.texts());
    }

    // ================================================================ hooks.md

    @Test
    void hooksSequentialLayers() {
        // snippet:hooks.sequential
        Map<Integer, LayerActivationDetector> detectors = new LinkedHashMap<>();
        List<String> hookIds = new ArrayList<>();
        for (int i : new int[] {0, 1, 3}) {
            String layerName = "transformer.h." + i + ".attn.c_attn";
            LayerActivationDetector det = new LayerActivationDetector(layerName);
            detectors.put(i, det);
            hookIds.add(lm.layers().registerHook(layerName, det));
        }
        lm.inference().executeInference(List.of("Hello, world!")).close();
        detectors.forEach((i, det) -> System.out.println("Layer " + i + ": mean=" + det.getCaptured().mean().getFloat()));
        // end-snippet
        for (LayerActivationDetector det : detectors.values()) {
            assertThat(det.getCaptured().getShape().get(2)).isEqualTo(3 * 256);
        }
        assertThat(maxDiff(detectors.get(0).getCaptured().toFloatArray(), detectors.get(1).getCaptured().toFloatArray()))
                .isGreaterThan(1e-3);
        // snippet:hooks.sequential-cleanup
        hookIds.forEach(lm.layers()::unregisterHook);
        detectors.values().forEach(LayerActivationDetector::close);
        // end-snippet
    }

    @Test
    void hooksCascading() {
        // snippet:hooks.cascading
        FunctionController early = new FunctionController("layer_0", x -> x.mul(1.2f));
        FunctionController late = new FunctionController("layer_3", x -> x.mul(0.8f));
        String hook1 = lm.layers().registerHook("layer_0", early);
        String hook2 = lm.layers().registerHook("layer_3", late);
        float[] steered;
        try (InferenceResult out = lm.inference().executeInference(List.of("Hello, world!"))) {
            steered = out.logits().toFloatArray();          // both applied, early first
        } finally {
            lm.layers().unregisterHook(hook1);
            lm.layers().unregisterHook(hook2);
        }
        // end-snippet
        assertThat(maxDiff(steered, baseline)).isGreaterThan(1e-3);
        assertThat(maxDiff(logits("Hello, world!"), baseline)).isZero();
    }

    @Test
    void hooksCrossLayer() {
        float[] steered;
        // snippet:hooks.cross-layer
        class CoordinatedController extends BaseHook implements Controller {
            private final LayerActivationDetector referenceDetector;

            CoordinatedController(String layerSignature, LayerActivationDetector referenceDetector) {
                super(HookType.FORWARD, layerSignature);
                this.referenceDetector = referenceDetector;
            }

            @Override
            public NDArray modifyActivations(HookCall call) {
                NDArray refActivations = referenceDetector.getCaptured();
                if (refActivations == null) {
                    return null;                              // null keeps the output unchanged
                }
                float scale = refActivations.mean().getFloat();
                return call.output().mul(1f + 0.1f * scale);
            }
        }

        LayerActivationDetector refDetector = new LayerActivationDetector("transformer.h.0.mlp.act");
        String refId = lm.layers().registerHook("transformer.h.0.mlp.act", refDetector);
        String id = lm.layers().registerHook("layer_2", new CoordinatedController("layer_2", refDetector));
        // end-snippet
        try {
            steered = logits("Hello, world!");
        } finally {
            lm.layers().unregisterHook(id);
            lm.layers().unregisterHook(refId);
        }
        float scale = refDetector.getCaptured().mean().getFloat();
        String check = lm.layers().registerHook("layer_2", new FunctionController("layer_2", x -> x.mul(1f + 0.1f * scale)));
        try {
            assertThat(maxDiff(logits("Hello, world!"), steered)).isLessThan(1e-5);
        } finally {
            lm.layers().unregisterHook(check);
        }
        assertThat(maxDiff(steered, baseline)).isGreaterThan(1e-3);
        refDetector.close();
    }

    @Test
    void hooksActivationCondition() {
        // snippet:hooks.conditional-activation
        class ConditionalController extends BaseHook implements Controller {
            private final double threshold;

            ConditionalController(String layerSignature, double threshold) {
                super(HookType.FORWARD, layerSignature);
                this.threshold = threshold;
            }

            @Override
            public NDArray modifyActivations(HookCall call) {
                NDArray output = call.output();
                if (output.abs().mean().getFloat() > threshold) {
                    return output.mul(1.5f);                  // only when the condition holds
                }
                return null;
            }
        }
        // end-snippet
        String id = lm.layers().registerHook("layer_1", new ConditionalController("layer_1", 1e9));
        try {
            assertThat(maxDiff(logits("Hello, world!"), baseline)).isZero();
        } finally {
            lm.layers().unregisterHook(id);
        }
        id = lm.layers().registerHook("layer_1", new ConditionalController("layer_1", 0.0));
        try {
            assertThat(maxDiff(logits("Hello, world!"), baseline)).isGreaterThan(1e-3);
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    @Test
    void hooksTokenCondition() {
        LayerActivationDetector next = new LayerActivationDetector("transformer.h.2.hook_resid_pre");
        String nextId = lm.layers().registerHook("transformer.h.2.hook_resid_pre", next);
        logits("The jury said it did not find any evidence");
        float[][] before = rows(next.getCaptured());
        // snippet:hooks.conditional-token
        class TokenConditionalController extends BaseHook implements Controller {
            private final Set<Integer> tokenIndices;

            TokenConditionalController(String layerSignature, Set<Integer> tokenIndices) {
                super(HookType.FORWARD, layerSignature);
                this.tokenIndices = Set.copyOf(tokenIndices);
            }

            @Override
            public NDArray modifyActivations(HookCall call) {
                NDArray modified = call.output();             // a copy of its own: editing it in place is safe
                long seqLen = modified.getShape().get(1);
                for (int idx : tokenIndices) {
                    if (idx < seqLen) {
                        NDIndex at = new NDIndex(":, {}, :", idx);
                        modified.set(at, modified.get(at).mul(2f));
                    }
                }
                return modified;
            }
        }

        String id = lm.layers().registerHook("layer_1", new TokenConditionalController("layer_1", Set.of(2, 4)));
        // end-snippet
        try {
            logits("The jury said it did not find any evidence");
        } finally {
            lm.layers().unregisterHook(id);
            lm.layers().unregisterHook(nextId);
        }
        float[][] after = rows(next.getCaptured());
        next.close();
        for (int s = 0; s < before.length; s++) {
            float factor = s == 2 || s == 4 ? 2f : 1f;
            for (int j = 0; j < before[s].length; j++) {
                assertThat(after[s][j]).isCloseTo(before[s][j] * factor, within(1e-5f));
            }
        }
    }

    private static float[][] rows(NDArray x) {
        int seq = (int) x.getShape().get(1);
        int d = (int) x.getShape().get(2);
        float[] all = x.toFloatArray();
        float[][] out = new float[seq][d];
        for (int s = 0; s < seq; s++) {
            System.arraycopy(all, s * d, out[s], 0, d);
        }
        return out;
    }

    @Test
    void hooksBatchCondition() {
        int changed = 0;
        // snippet:hooks.conditional-batch
        class BatchConditionalController extends BaseHook implements Controller {
            int batchCount;

            BatchConditionalController(String layerSignature) {
                super(HookType.FORWARD, layerSignature);
            }

            @Override
            public NDArray modifyActivations(HookCall call) {
                batchCount++;
                return batchCount % 10 == 0 ? call.output().mul(1.5f) : null;   // every 10th batch only
            }
        }
        // end-snippet
        BatchConditionalController c = new BatchConditionalController("layer_2");
        String id = lm.layers().registerHook("layer_2", c);
        try {
            for (int i = 0; i < 20; i++) {
                if (maxDiff(logits("Hello, world!"), baseline) > 1e-3) {
                    changed++;
                }
            }
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(changed).isEqualTo(2);
        assertThat(c.batchCount).isEqualTo(20);
    }

    @Test
    void hooksPipeline() {
        LayerActivationDetector next = new LayerActivationDetector("transformer.h.1.hook_resid_pre");
        String nextId = lm.layers().registerHook("transformer.h.1.hook_resid_pre", next);
        // snippet:hooks.pipeline
        class PipelineController extends BaseHook implements Controller {
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

        PipelineController pipeline = new PipelineController("layer_0", List.of(
                x -> x.mul(1.2f),                                                   // scale
                x -> x.clip(-2, 2),                                                 // clamp
                x -> x.sub(x.mean()).div(x.sub(x.mean()).pow(2).mean().sqrt().add(1e-8f))));  // normalize
        // end-snippet
        String id = lm.layers().registerHook("layer_0", pipeline);
        try {
            logits("Hello, world!");
        } finally {
            lm.layers().unregisterHook(id);
            lm.layers().unregisterHook(nextId);
        }
        float[] got = next.getCaptured().toFloatArray();
        next.close();
        double mean = 0;
        for (float v : got) {
            mean += v;
        }
        mean /= got.length;
        double var = 0;
        for (float v : got) {
            var += (v - mean) * (v - mean);
        }
        assertThat(mean).isCloseTo(0.0, within(1e-4));
        assertThat(Math.sqrt(var / got.length)).isCloseTo(1.0, within(1e-3));
    }

    @Test
    void hooksConditionalPipeline() {
        // snippet:hooks.conditional-pipeline
        class ConditionalPipeline extends BaseHook implements Controller {
            private final Predicate<NDArray> conditionFn;
            private final UnaryOperator<NDArray> pipelineA;
            private final UnaryOperator<NDArray> pipelineB;

            ConditionalPipeline(String layerSignature, Predicate<NDArray> conditionFn,
                                UnaryOperator<NDArray> pipelineA, UnaryOperator<NDArray> pipelineB) {
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
        // end-snippet
        UnaryOperator<NDArray> a = x -> x.mul(1.5f);
        UnaryOperator<NDArray> b = x -> null;
        String id = lm.layers().registerHook("layer_1",
                new ConditionalPipeline("layer_1", x -> x.abs().mean().getFloat() > 1e6, a, b));
        try {
            assertThat(maxDiff(logits("Hello, world!"), baseline)).isZero();
        } finally {
            lm.layers().unregisterHook(id);
        }
        id = lm.layers().registerHook("layer_1",
                new ConditionalPipeline("layer_1", x -> x.abs().mean().getFloat() > 0, a, b));
        try {
            assertThat(maxDiff(logits("Hello, world!"), baseline)).isGreaterThan(1e-3);
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    @Test
    void hooksFastController() {
        float[] fast;
        // snippet:hooks.fast
        // The output a controller gets is already its own copy: no duplicate() needed before changing it.
        FunctionController slow = new FunctionController("layer_1", x -> x.duplicate().mul(2f));   // extra copy
        FunctionController quick = new FunctionController("layer_1", x -> x.mul(2f));
        // end-snippet
        String id = lm.layers().registerHook("layer_1", quick);
        try {
            fast = logits("Hello, world!");
        } finally {
            lm.layers().unregisterHook(id);
        }
        id = lm.layers().registerHook("layer_1", slow);
        try {
            assertThat(maxDiff(logits("Hello, world!"), fast)).isZero();
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(maxDiff(fast, baseline)).isGreaterThan(1e-3);
    }

    @Test
    void hooksBatchProcessing() {
        List<List<String>> dataset = List.of(List.of("Hello, world!"), List.of("One", "Two words"));
        List<String> layers = List.of("layer_0", "blocks.2.hook_resid_post");
        int batches = 0;
        // snippet:hooks.batch-processing
        List<LayerActivationDetector> detectors = new ArrayList<>();
        List<String> hookIds = new ArrayList<>();
        try {
            for (String layer : layers) {                       // register once
                LayerActivationDetector det = new LayerActivationDetector(layer);
                detectors.add(det);
                hookIds.add(lm.layers().registerHook(layer, det));
            }
            for (List<String> batch : dataset) {                // process all batches
                lm.inference().executeInference(batch).close();
                // read detectors.get(i).getCaptured() here, after each batch
                batches++;
            }
        } finally {                                             // clean up once
            hookIds.forEach(lm.layers()::unregisterHook);
            detectors.forEach(LayerActivationDetector::close);
        }
        // end-snippet
        assertThat(batches).isEqualTo(2);
        assertThat(lm.layers().allHooks()).isEmpty();
    }

    @Test
    void hooksMemoryEfficientDetector() {
        // snippet:hooks.memory-efficient
        class MemoryEfficientDetector extends BaseHook implements Detector, AutoCloseable {
            private final int maxBatches;
            private final NDManager manager = NDManager.newBaseManager(Device.cpu());
            final Map<String, NDArray> tensorMetadata = new HashMap<>();
            private int batchCount;

            MemoryEfficientDetector(String layerSignature, int maxBatches) {
                super(HookType.FORWARD, layerSignature);
                this.maxBatches = maxBatches;
            }

            @Override
            public void processActivations(HookCall call) {
                batchCount++;
                if (batchCount > maxBatches) {                  // clear old data periodically
                    tensorMetadata.values().forEach(NDArray::close);
                    tensorMetadata.clear();
                    batchCount = 1;
                }
                NDArray copy = call.output().toDevice(Device.cpu(), true);   // a CPU copy ...
                copy.attach(manager);                                        // ... that outlives the forward
                NDArray old = tensorMetadata.put("activations", copy);
                if (old != null) {
                    old.close();
                }
            }

            @Override
            public void close() {
                manager.close();
            }
        }
        // end-snippet
        try (MemoryEfficientDetector det = new MemoryEfficientDetector("layer_2", 3)) {
            String id = lm.layers().registerHook("layer_2", det);
            try {
                for (int i = 0; i < 5; i++) {
                    logits("Hello, world!");
                }
            } finally {
                lm.layers().unregisterHook(id);
            }
            assertThat(det.tensorMetadata).hasSize(1);
            assertThat(det.manager.getManagedArrays()).hasSize(1);
            assertThat(det.tensorMetadata.get("activations").getShape().get(2)).isEqualTo(256);
        }
    }

    @Test
    void hooksClearingData() {
        LayerActivationDetector detector = new LayerActivationDetector("layer_0");
        String id = lm.layers().registerHook("layer_0", detector);
        int batchCount = 0;
        try {
            for (int i = 0; i < 100; i++) {
                batchCount++;
                if (i == 99) {
                    logits("Hello");
                }
                // snippet:hooks.clear
                if (batchCount % 100 == 0) {
                    detector.clearCaptured();          // frees the captured tensor; tensorMetadata() is then empty
                }
                // end-snippet
            }
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(detector.getCaptured()).isNull();
        assertThat(detector.tensorMetadata()).isEmpty();
        detector.close();
    }

    @Test
    void hooksLimitedAccumulator() {
        // snippet:hooks.limited-accumulator
        class LimitedAccumulator extends BaseHook implements Detector {
            private final int maxBatches;
            final List<float[]> batches = new ArrayList<>();   // heap copies: nothing native to free

            LimitedAccumulator(String layerSignature, int maxBatches) {
                super(HookType.FORWARD, layerSignature);
                this.maxBatches = maxBatches;
            }

            @Override
            public void processActivations(HookCall call) {
                batches.add(call.output().toFloatArray());
                if (batches.size() > maxBatches) {
                    batches.remove(0);                         // remove oldest
                }
            }
        }
        // end-snippet
        LimitedAccumulator acc = new LimitedAccumulator("transformer.h.0.mlp", 3);
        String id = lm.layers().registerHook("transformer.h.0.mlp", acc);
        try {
            logits("Hello");
            for (int i = 0; i < 4; i++) {
                logits("Hello, world!");
            }
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(acc.batches).hasSize(3);
        assertThat(acc.batches.get(0)).hasSameSizeAs(acc.batches.get(2));
    }

    @Test
    void hooksLogging() {
        // snippet:hooks.logging
        class LoggingController extends BaseHook implements Controller {
            private final Logger logger = Logger.getLogger(LoggingController.class.getName());

            LoggingController(String layerSignature) {
                super(HookType.FORWARD, layerSignature);
            }

            @Override
            public NDArray modifyActivations(HookCall call) {
                NDArray output = call.output();
                logger.fine(() -> "Hook " + id() + ": shape=" + output.getShape()
                        + ", mean=" + output.mean().getFloat());
                return output.mul(2f);
            }
        }
        // end-snippet
        String id = lm.layers().registerHook("layer_1", new LoggingController("layer_1"));
        try {
            assertThat(maxDiff(logits("Hello, world!"), baseline)).isGreaterThan(1e-3);
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    @Test
    void hooksStatistics() {
        // snippet:hooks.statistics
        class StatisticsController extends BaseHook implements Controller {
            int modificationCount;
            double totalScale;

            StatisticsController(String layerSignature) {
                super(HookType.FORWARD, layerSignature);
            }

            @Override
            public NDArray modifyActivations(HookCall call) {
                modificationCount++;
                double scale = 2.0;
                totalScale += scale;
                return call.output().mul((float) scale);
            }

            Map<String, Double> stats() {
                return Map.of("modifications", (double) modificationCount,
                        "avg_scale", modificationCount > 0 ? totalScale / modificationCount : 0.0);
            }
        }
        // end-snippet
        StatisticsController c = new StatisticsController("layer_1");
        String id = lm.layers().registerHook("layer_1", c);
        try {
            logits("Hello");
            logits("Hello, world!");
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(c.stats()).containsEntry("modifications", 2.0).containsEntry("avg_scale", 2.0);
    }

    @Test
    void hooksPitfalls() {
        LayerActivationDetector detector = new LayerActivationDetector("layer_0");
        // snippet:hooks.pitfall-inplace
        // In-place edits are safe: the controller changes its own copy, never the model's tensors.
        FunctionController doubler = new FunctionController("layer_1", x -> x.muli(2f));
        // end-snippet
        // snippet:hooks.pitfall-null
        // Returning null keeps the tensor as it is.
        FunctionController maybe = new FunctionController("layer_1", x -> x == null ? null : x.mul(2f));
        // end-snippet
        float[] inPlace;
        String a = lm.layers().registerHook("layer_1", doubler);
        try {
            inPlace = logits("Hello, world!");
            assertThat(maxDiff(logits("Hello, world!"), inPlace)).isZero();
        } finally {
            lm.layers().unregisterHook(a);
        }
        assertThat(maxDiff(logits("Hello, world!"), baseline)).isZero();
        a = lm.layers().registerHook("layer_1", maybe);
        try {
            assertThat(maxDiff(logits("Hello, world!"), inPlace)).isLessThan(1e-5);
        } finally {
            lm.layers().unregisterHook(a);
        }
        // snippet:hooks.pitfall-unregister
        float[] captured;
        String hookId = lm.layers().registerHook("layer_0", detector);
        try {
            lm.inference().executeInference(List.of("Hello, world!")).close();   // ... use the hook ...
            captured = detector.getCaptured().toFloatArray();
        } finally {
            lm.layers().unregisterHook(hookId);
        }
        // end-snippet
        assertThat(captured).isNotEmpty();
        assertThat(lm.layers().allHooks()).isEmpty();
        detector.close();
    }

    @Test
    void hooksSaeDetectorAndController() {
        int d = lm.config().hiddenSize();
        TopKSae sae = new TopKSae(512, d, 8);
        float[] observed;
        float[] steered;
        // snippet:hooks.sae-attach
        SaeHook hook = SaeHook.attach(lm, sae, "layer_0");   // one hook that is both detector and controller
        hook.concepts().enableTextTracking(10);
        // end-snippet
        try {
            observed = logits("Hello, world!");
            int latent = hook.concepts().lastLatents().orElseThrow().latents(0, 1)[0];
            // snippet:hooks.sae-manipulate
            lm.inference().executeInference(List.of("Hello, world!")).close();   // detector: latents, top texts
            hook.concepts().manipulateConcept(latent, 1.5);                        // controller: edit a latent
            lm.inference().executeInference(List.of("Hello, world!")).close();   // activations are modified
            // end-snippet
            steered = logits("Hello, world!");
            assertThat(hook.concepts().topTexts(latent)).isNotEmpty();
        } finally {
            hook.detach();
            sae.close();
        }
        assertThat(maxDiff(observed, baseline)).as("observing changes nothing").isLessThan(1e-5);
        assertThat(maxDiff(steered, baseline)).isGreaterThan(1e-4);
    }

    // ================================================================ saving-activations.md

    @Test
    void activationsSaveAndRead(@TempDir Path dir) {
        TextDataset texts = Datasets.fromTexts("brown-val-16",
                BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).stream().limit(16)
                        .map(BrownCorpus.Sentence::text).toList());
        Path storeDir = dir.resolve("store");
        // snippet:activations.save
        String runId = lm.activations().saveActivations(texts, List.of("layer_1", "blocks.3.hook_resid_post"),
                SaveOptions.into(storeDir).withBatchSize(8).withMaxLength(64).withResume(true));

        Store store = new LocalStore(storeDir);
        long rows = 0;
        for (float[] row : StoreDataLoader.builder(store, runId, "transformer.h.1")
                .excludeSpecialTokens(true).shuffleBufferRows(10_000).seed(0).epochs(1).build()) {
            rows++;                                       // one d_model activation per real token
        }
        // end-snippet
        long tokens = 0;
        for (int i = 0; i < 16; i++) {
            // withMaxLength(64) truncates the longer sentences
            tokens += Math.min(64, lm.tokenizer().encode(BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).get(i).text()).length);
        }
        assertThat(rows).isEqualTo(tokens);
        assertThat(Files.isDirectory(storeDir.resolve("runs").resolve(runId))).isTrue();
    }

    @Test
    void activationsDatasets(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("corpus.txt");
        Files.write(file, List.of("first line", "second line"));
        // snippet:activations.datasets
        TextDataset fromFile = Datasets.fromFile(file, io.microw.data.DatasetOptions.defaults());  // .txt .jsonl .csv ...
        TextDataset inMemory = Datasets.fromTexts("mine", List.of("Hello, world!", "The jury said"));
        TextDataset brown = BrownCorpus.load().sentenceDataset(BrownCorpus.Split.TRAIN);
        // end-snippet
        assertThat(fromFile).isNotNull();
        assertThat(inMemory).isNotNull();
        assertThat(brown).isNotNull();
    }

    // ================================================================ training-saes.md

    @Test
    void saeTrainEvaluateSave(@TempDir Path dir) {
        List<String> train = BrownCorpus.load().sentences(BrownCorpus.Split.TRAIN).stream().limit(200)
                .map(BrownCorpus.Sentence::text).toList();
        List<String> validationTexts = BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).stream().limit(16)
                .map(BrownCorpus.Sentence::text).toList();
        String runId = lm.activations().saveActivations(train, List.of("layer_2"),
                SaveOptions.into(dir.resolve("store")).withBatchSize(32).withMaxLength(64));
        Store store = new LocalStore(dir.resolve("store"));
        // snippet:sae.train
        StoreDataLoader loader = StoreDataLoader.builder(store, runId, "transformer.h.2")
                .excludeSpecialTokens(true).shuffleBufferRows(1 << 14).seed(0).build();
        TrainingResult result;
        SaeEvaluation eval;
        try (TopKSae sae = new TopKSae(512, 256, 16)) {              // latents, inputs, k (mi-crow's order)
            SaeTrainingConfig config = SaeTrainingConfig.builder()
                    .lr(4e-4).lrWarmUpSteps(10).batchSize(256).epochs(2).build();
            result = new SaeTrainer(sae, config)
                    .onMetrics(m -> System.out.println(m.step() + " ev=" + m.explainedVariance() + " l0=" + m.l0()))
                    .train(new StoreActivationSource(loader));
            sae.save(dir.resolve("my-sae"));                          // SAELens: cfg.json + sae_weights.safetensors
            eval = new SaeEvaluator(lm).evaluate(sae, "transformer.h.2", validationTexts);
            System.out.println(eval.ceLossScore() + " " + eval.klDivScore() + " " + eval.explainedVariance());
        }
        Sae loaded = Sae.load(dir.resolve("my-sae"));                     // topk, jumprelu, standard, gated
        // end-snippet
        assertThat(result.last().explainedVariance()).isGreaterThan(0.0);
        assertThat(result.last().l0()).isLessThanOrEqualTo(16.0);
        assertThat(eval.explainedVariance()).isGreaterThan(0.0).isLessThanOrEqualTo(1.0);
        assertThat(Double.isFinite(eval.ceLossScore())).isTrue();
        assertThat(loaded).isInstanceOf(TopKSae.class);
        assertThat(loaded.dSae()).isEqualTo(512);
        loaded.close();
    }

    // ================================================================ concepts-and-steering.md

    @Test
    void conceptsTopTextsAndManipulation(@TempDir Path dir) {
        // snippet:concepts.top-texts
        TopKSae sae = new TopKSae(512, lm.config().hiddenSize(), 8);   // or Sae.load(dir) of a trained one
        SaeHook hook = SaeHook.attach(lm, sae, "layer_0");   // checks the width; detector and controller
        hook.concepts().enableTextTracking(10);      // top texts per latent
        lm.inference().executeInference(List.of("The jury said it did not find any evidence", "He was here")).close();
        int latent = hook.concepts().lastLatents().orElseThrow().latents(0, 1)[0];   // one that fired
        List<LatentContext> top = hook.concepts().topTexts(latent);     // text, token, position, activation, window
        // end-snippet
        try {
            assertThat(top).isNotEmpty();
            assertThat(top.get(0).activation()).isPositive();
            // snippet:concepts.manipulate
            hook.concepts().manipulateConcept(latent, 3.0);  // also addToConcept, clampConcept, setPositionScope
            float[] edited;
            try (InferenceResult out = lm.inference().executeInference(List.of("Hello, world!"))) {
                edited = out.logits().toFloatArray();        // output = x + decode(edited) - decode(latents)
            }
            hook.concepts().saveManipulations(dir.resolve("edits.json"));
            hook.concepts().resetManipulations();
            hook.detach();                                   // the SAE stays open; the hook keeps its concept state
            // end-snippet
            assertThat(maxDiff(edited, baseline)).as("the edit changes the output").isGreaterThan(1e-4);
            assertThat(Files.exists(dir.resolve("edits.json"))).isTrue();
        } finally {
            hook.detach();
            sae.close();
        }
        assertThat(maxDiff(logits("Hello, world!"), baseline)).as("detached: the model is as before").isZero();
    }

    @Test
    void steeringContrastive() {
        // snippet:steering.contrastive
        SteeringVector vector = SteeringVector.contrastive(lm, "layer_2",
                List.of("I love this, it is wonderful", "What a great and happy day"),
                List.of("I hate this, it is terrible", "What an awful and sad day"),
                ContrastiveOptions.defaults());
        String hookId = vector.apply(lm, 4.0, PositionScope.GENERATED);   // registers a controller
        GenerationResult steered;
        try {
            steered = lm.inference().generate(List.of("The jury said"), GenerationConfig.greedy(15));
        } finally {
            lm.layers().unregisterHook(hookId);
        }
        // end-snippet
        GenerationResult plain = lm.inference().generate(List.of("The jury said"), GenerationConfig.greedy(15));
        assertThat(vector.dimension()).isEqualTo(256);
        assertThat(vector.norm()).isPositive();
        assertThat(steered.texts().get(0)).startsWith("The jury said");
        assertThat(steered.completions()).isNotEqualTo(plain.completions());
    }
}
