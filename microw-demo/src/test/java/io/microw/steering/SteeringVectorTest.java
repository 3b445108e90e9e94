package io.microw.steering;

import io.microw.demo.HookHygiene;
import ai.djl.ndarray.NDArray;
import io.microw.demo.BrownGpt2;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.Hook;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.hooks.LayerActivationDetector;
import io.microw.io.SafetensorsWriter;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.UnknownLayerException;
import io.microw.nn.ForwardBatch;
import io.microw.tokenizer.Encodings;
import io.microw.tokenizer.PaddingSide;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Contrastive steering vectors on brown-gpt2: the mean difference, scoped edits, the effect, save/load, bad input. */
class SteeringVectorTest {

    private static final String LAYER = "layer_1";
    private static final List<String> POSITIVE = List.of(
            "\"I will go home now,\" he said.",
            "\"It is late,\" he said quietly.",
            "He looked at the man and he said nothing.",
            "\"We must hurry,\" he said to his wife.",
            "Then he said that the jury had agreed.");
    private static final List<String> NEGATIVE = List.of(
            "The house stood on a hill near the river.",
            "The committee met on Tuesday in the city hall.",
            "Prices rose sharply during the last quarter.",
            "The garden was full of flowers in May.",
            "The report was published by the state department.");

    private static LanguageModel lm;
    private static SteeringVector vector;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        vector = SteeringVector.contrastive(lm, LAYER, POSITIVE, NEGATIVE, ContrastiveOptions.defaults());
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void noHookLeftBehind() {
        HookHygiene.assertNoHooksLeft(lm);
    }

    // ---- the vector ------------------------------------------------------------------------------------------

    @Test
    void vectorEqualsDirectComputationWithADetector() {
        for (TokenMode mode : TokenMode.values()) {
            SteeringVector v = SteeringVector.contrastive(lm, LAYER, POSITIVE, NEGATIVE,
                    ContrastiveOptions.defaults().withTokenMode(mode).withBatchSize(2));
            double[] pos = directMean(POSITIVE, mode);
            double[] neg = directMean(NEGATIVE, mode);
            float[] got = v.values();
            assertThat(got).hasSize(256);
            for (int k = 0; k < got.length; k++) {
                assertThat((double) got[k]).as("%s component %d", mode, k).isCloseTo(pos[k] - neg[k],
                        org.assertj.core.data.Offset.offset(1e-5));
            }
            assertThat(v.layer()).isEqualTo(lm.layers().resolve(LAYER));
            assertThat(v.model()).startsWith("brown-gpt2");
            assertThat(v.tokenMode()).isEqualTo(mode);
            assertThat(v.positiveTexts()).isEqualTo(5);
            assertThat(v.negativeTexts()).isEqualTo(5);
            assertThat(v.positiveTokens()).isEqualTo((long) pos[256]);
            assertThat(v.negativeTokens()).isEqualTo((long) neg[256]);
            if (mode == TokenMode.LAST_TOKEN) {
                assertThat(v.positiveTokens()).isEqualTo(5);
            }
        }
        // Batch size and padding do not change it.
        SteeringVector one = SteeringVector.contrastive(lm, LAYER, POSITIVE, NEGATIVE,
                ContrastiveOptions.defaults().withBatchSize(1));
        float[] a = one.values();
        float[] b = vector.values();
        for (int k = 0; k < a.length; k++) {
            assertThat(a[k]).isCloseTo(b[k], org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    /** Mean of the detector's captures over real tokens, texts one batch, right padding; [d] then the count. */
    private static double[] directMean(List<String> texts, TokenMode mode) {
        LayerActivationDetector det = new LayerActivationDetector(LAYER);
        lm.layers().registerHook(LAYER, det);
        try (det; InferenceResult r = lm.inference().executeInference(texts,
                InferenceOptions.defaults().withPaddingSide(PaddingSide.RIGHT))) {
            NDArray act = det.getCaptured();
            long[] shape = act.getShape().getShape();
            float[] x = act.toFloatArray();
            int s = (int) shape[1];
            int d = (int) shape[2];
            Encodings enc = r.encodings();
            double[] sum = new double[d + 1];
            long n = 0;
            for (int i = 0; i < texts.size(); i++) {
                List<Integer> real = new ArrayList<>();
                for (int j = 0; j < s; j++) {
                    if (enc.attentionMask()[i][j] == 1 && enc.specialTokensMask()[i][j] == 0) {
                        real.add(j);
                    }
                }
                List<Integer> use = mode == TokenMode.ALL_TOKENS ? real : List.of(real.get(real.size() - 1));
                for (int j : use) {
                    for (int k = 0; k < d; k++) {
                        sum[k] += x[(i * s + j) * d + k];
                    }
                    n++;
                }
            }
            for (int k = 0; k < d; k++) {
                sum[k] /= n;
            }
            sum[d] = n;
            return sum;
        } finally {
            lm.layers().unregisterHook(det.id());
        }
    }

    // ---- applying it -----------------------------------------------------------------------------------------

    @Test
    void coefficientZeroLeavesLogitsUnchanged() {
        List<String> prompts = List.of("The jury said", "It was a long day in the city of");
        float[] base = logits(prompts);
        String id = vector.apply(lm, 0.0, PositionScope.ALL);
        assertThat(lm.layers().hooks(LAYER)).extracting(Hook::id).containsExactly(id);
        float[] steered = logits(prompts);
        lm.layers().unregisterHook(id);
        assertThat(steered).containsExactly(base);
        // A non-zero coefficient does change them (the hook is live).
        id = vector.apply(lm, 2.0, PositionScope.ALL);
        float[] changed = logits(prompts);
        lm.layers().unregisterHook(id);
        assertThat(changed).isNotEqualTo(base);
    }

    private static float[] logits(List<String> prompts) {
        try (InferenceResult r = lm.inference().executeInference(prompts)) {
            return r.logits().toFloatArray();
        }
    }

    /** Wraps the steering controller and records, per forward, the layer output before and after it. */
    static final class Recorder extends BaseHook implements Controller, Detector {
        record Forward(int step, int batch, int seq, long[][] currentMask, float[] before, float[] after) {
        }

        final SteeringController inner;
        final List<Forward> forwards = new ArrayList<>();

        Recorder(SteeringController inner) {
            super(HookType.FORWARD, inner.layerSignature());
            this.inner = inner;
        }

        @Override
        public void processActivations(HookCall call) {
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            float[] before = call.activations().toFloatArray();
            NDArray out = inner.modifyActivations(call);
            float[] after = out == null ? before : out.toFloatArray();
            ForwardBatch b = call.batch();
            long[] m = b.attentionMask().toLongArray();
            int total = b.pastLength() + b.seqLength();
            long[][] current = new long[b.batchSize()][b.seqLength()];
            for (int i = 0; i < b.batchSize(); i++) {
                for (int j = 0; j < b.seqLength(); j++) {
                    current[i][j] = m[i * total + b.pastLength() + j];
                }
            }
            forwards.add(new Forward(b.generationStep(), b.batchSize(), b.seqLength(), current, before, after));
            return out;
        }
    }

    @Test
    void editIsExactlyCTimesVAtScopedPositionsDuringGenerate() {
        double c = 3.0;
        float[] v = vector.values();
        int d = v.length;
        List<String> prompts = List.of("The jury said", "It was a long day in the city of");
        for (PositionScope scope : PositionScope.values()) {
            Recorder rec = new Recorder(vector.controller(c, scope));
            lm.layers().registerHook(LAYER, rec);
            try {
                lm.inference().generate(prompts, GenerationConfig.builder().maxNewTokens(4).stopAtEos(false).build());
            } finally {
                lm.layers().unregisterHook(rec.id());
            }
            assertThat(rec.forwards).extracting(Recorder.Forward::step).containsExactly(0, 1, 2, 3);
            int edited = 0;
            int padding = 0;
            for (Recorder.Forward f : rec.forwards) {
                assertThat(f.seq()).isEqualTo(f.step() == 0 ? lm.tokenizer().encode(prompts.get(1)).length : 1);
                for (int i = 0; i < f.batch(); i++) {
                    for (int j = 0; j < f.seq(); j++) {
                        boolean real = f.currentMask()[i][j] == 1;
                        boolean expected = real && (scope == PositionScope.ALL
                                || (scope == PositionScope.PROMPT) == (f.step() == 0));
                        padding += real ? 0 : 1;
                        int base = (i * f.seq() + j) * d;
                        for (int k = 0; k < d; k++) {
                            float diff = f.after()[base + k] - f.before()[base + k];
                            if (expected) {
                                assertThat((double) diff).as("%s step %d row %d pos %d dim %d", scope, f.step(), i, j, k)
                                        .isCloseTo(c * v[k], org.assertj.core.data.Offset.offset(1e-4));
                            } else {
                                assertThat(f.after()[base + k]).as("%s step %d row %d pos %d dim %d untouched", scope,
                                        f.step(), i, j, k).isEqualTo(f.before()[base + k]);
                            }
                        }
                        edited += expected ? 1 : 0;
                    }
                }
            }
            assertThat(padding).as("the short prompt is left-padded").isGreaterThan(0);
            int promptTokens = lm.tokenizer().encode(prompts.get(0)).length + lm.tokenizer().encode(prompts.get(1)).length;
            int expectedEdits = switch (scope) {
                case ALL -> promptTokens + 2 * 3;
                case PROMPT -> promptTokens;
                case GENERATED -> 2 * 3;
            };
            assertThat(edited).as(scope.name()).isEqualTo(expectedEdits);
        }
    }

    @Test
    void outsideGenerationEveryRealTokenIsPromptAndPaddingIsUntouched() {
        List<String> texts = List.of("The jury said", "It was a long day in the city of");
        for (PaddingSide side : PaddingSide.values()) {
            for (PositionScope scope : PositionScope.values()) {
                Recorder rec = new Recorder(vector.controller(-1.5, scope));
                lm.layers().registerHook(LAYER, rec);
                try (InferenceResult r = lm.inference().executeInference(texts,
                        InferenceOptions.defaults().withPaddingSide(side))) {
                    assertThat(r.logits()).isNotNull();
                } finally {
                    lm.layers().unregisterHook(rec.id());
                }
                Recorder.Forward f = rec.forwards.get(0);
                assertThat(f.step()).isEqualTo(-1);
                int d = vector.dimension();
                for (int i = 0; i < f.batch(); i++) {
                    for (int j = 0; j < f.seq(); j++) {
                        boolean expected = f.currentMask()[i][j] == 1 && scope != PositionScope.GENERATED;
                        int base = (i * f.seq() + j) * d;
                        boolean changed = false;
                        for (int k = 0; k < d; k++) {
                            changed |= f.after()[base + k] != f.before()[base + k];
                        }
                        assertThat(changed).as("%s %s row %d pos %d", side, scope, i, j).isEqualTo(expected);
                    }
                }
            }
        }
    }

    @Test
    void positionScopeMaskHelperOnAHookCall() {
        List<float[]> masks = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        Detector probe = new MaskProbe(masks, shapes);
        lm.layers().registerHook(LAYER, probe);
        try {
            lm.inference().generate(List.of("The jury said", "It was a long day in the city of"),
                    GenerationConfig.builder().maxNewTokens(2).stopAtEos(false).build());
        } finally {
            lm.layers().unregisterHook(probe.id());
        }
        // Per forward: ALL, PROMPT, GENERATED.
        assertThat(masks).hasSize(6);
        int shortLen = lm.tokenizer().encode("The jury said").length;
        int longLen = lm.tokenizer().encode("It was a long day in the city of").length;
        assertThat(shapes.get(0)).containsExactly(2, longLen);
        float[] all0 = masks.get(0);
        float[] prompt0 = masks.get(1);
        float[] gen0 = masks.get(2);
        assertThat(prompt0).containsExactly(all0);
        assertThat(gen0).containsOnly(0f);
        // The short prompt is left-padded to the long one's length.
        assertThat(sum(all0)).isEqualTo((float) (shortLen + longLen));
        for (int j = 0; j < longLen; j++) {
            assertThat(all0[j]).as("row 0 pos %d", j).isEqualTo(j < longLen - shortLen ? 0f : 1f);
            assertThat(all0[longLen + j]).as("row 1 pos %d", j).isEqualTo(1f);
        }
        assertThat(shapes.get(3)).containsExactly(2, 1);
        assertThat(masks.get(3)).containsExactly(1f, 1f);
        assertThat(masks.get(4)).containsExactly(0f, 0f);
        assertThat(masks.get(5)).containsExactly(1f, 1f);
    }

    private static float sum(float[] a) {
        float s = 0;
        for (float f : a) {
            s += f;
        }
        return s;
    }

    static final class MaskProbe extends BaseHook implements Detector {
        final List<float[]> masks;
        final List<long[]> shapes;

        MaskProbe(List<float[]> masks, List<long[]> shapes) {
            super(HookType.FORWARD, LAYER);
            this.masks = masks;
            this.shapes = shapes;
        }

        @Override
        public void processActivations(HookCall call) {
            for (PositionScope scope : PositionScope.values()) {
                NDArray m = PositionScope.mask(call, scope);
                masks.add(m.toFloatArray());
                shapes.add(m.getShape().getShape());
            }
        }
    }

    // ---- the effect ------------------------------------------------------------------------------------------

    @Test
    void steeringTowardsHeSaidChangesContinuationsAndRaisesSaid() {
        List<String> prompts = List.of("The house stood", "In the morning the", "The city of", "Prices were");
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(12).stopAtEos(false).build();
        GenerationResult base = lm.inference().generate(prompts, greedy);
        double baseSaid = meanLastLogit(prompts, " said");
        String id = vector.apply(lm, 2.0, PositionScope.ALL);
        GenerationResult steered;
        double steeredSaid;
        try {
            steered = lm.inference().generate(prompts, greedy);
            steeredSaid = meanLastLogit(prompts, " said");
        } finally {
            lm.layers().unregisterHook(id);
        }
        System.out.println("baseline: " + base.completions());
        System.out.println("steered:  " + steered.completions());
        System.out.println("logit(' said') " + baseSaid + " -> " + steeredSaid);
        assertThat(steered.completions()).isNotEqualTo(base.completions());
        assertThat(steeredSaid).isGreaterThan(baseSaid + 1.0);
    }

    /** Mean over prompts of the logit of {@code word} (one token) at the last position. */
    private static double meanLastLogit(List<String> prompts, String word) {
        long[] ids = lm.tokenizer().encode(word);
        assertThat(ids).as("'%s' is one token", word).hasSize(1);
        double total = 0;
        for (String p : prompts) {
            try (InferenceResult r = lm.inference().executeInference(List.of(p))) {
                long[] shape = r.logits().getShape().getShape();
                float[] l = r.logits().toFloatArray();
                int vocab = (int) shape[2];
                total += l[(int) ((shape[1] - 1) * vocab + ids[0])];
            }
        }
        return total / prompts.size();
    }

    // ---- save / load -----------------------------------------------------------------------------------------

    @Test
    void saveLoadRoundTrip(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("he-said.safetensors");
        vector.save(file);
        SteeringVector back = SteeringVector.load(file);
        assertThat(back.values()).containsExactly(vector.values());
        assertThat(back.metadata()).isEqualTo(vector.metadata());
        assertThat(back.layer()).isEqualTo(vector.layer());
        assertThat(back.model()).isEqualTo(vector.model());
        assertThat(back.tokenMode()).isEqualTo(vector.tokenMode());
        assertThat(back.positiveTokens()).isEqualTo(vector.positiveTokens());
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("he-said.safetensors");
        }
        // Overwriting is atomic and leaves one file.
        vector.scaled(2).save(file);
        assertThat(SteeringVector.load(file).values()[0]).isEqualTo(2 * vector.values()[0]);
    }

    @Test
    void loadRejectsBadFiles(@TempDir Path dir) throws Exception {
        Path nan = dir.resolve("nan.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().putFloats("vector", new long[] {3}, new float[] {1, Float.NaN, 2});
        vector.metadata().forEach(w::metadata);
        w.metadata("d", "3").write(nan);
        assertThatThrownBy(() -> SteeringVector.load(nan)).isInstanceOf(SteeringException.class)
                .hasMessageContaining("component 1").hasMessageContaining("NaN");

        Path shape = dir.resolve("shape.safetensors");
        SafetensorsWriter w2 = new SafetensorsWriter().putFloats("vector", new long[] {2, 2}, new float[4]);
        vector.metadata().forEach(w2::metadata);
        w2.write(shape);
        assertThatThrownBy(() -> SteeringVector.load(shape)).isInstanceOf(SteeringException.class)
                .hasMessageContaining("shape [2, 2]");

        Path mismatch = dir.resolve("mismatch.safetensors");
        SafetensorsWriter w3 = new SafetensorsWriter().putFloats("vector", new long[] {4}, new float[4]);
        vector.metadata().forEach(w3::metadata);
        w3.write(mismatch);
        assertThatThrownBy(() -> SteeringVector.load(mismatch)).isInstanceOf(SteeringException.class)
                .hasMessageContaining("d=256").hasMessageContaining("length 4");

        Path foreign = dir.resolve("foreign.safetensors");
        new SafetensorsWriter().putFloats("vector", new long[] {2}, new float[2]).write(foreign);
        assertThatThrownBy(() -> SteeringVector.load(foreign)).isInstanceOf(SteeringException.class)
                .hasMessageContaining("not a microw steering vector");

        Path noLayer = dir.resolve("nolayer.safetensors");
        SafetensorsWriter w4 = new SafetensorsWriter().putFloats("vector", new long[] {256}, vector.values());
        vector.metadata().forEach((k, v) -> {
            if (!k.equals("layer")) {
                w4.metadata(k, v);
            }
        });
        w4.write(noLayer);
        assertThatThrownBy(() -> SteeringVector.load(noLayer)).isInstanceOf(SteeringException.class)
                .hasMessageContaining("'layer' is missing");

        Path garbage = dir.resolve("garbage.safetensors");
        Files.writeString(garbage, "not safetensors at all");
        assertThatThrownBy(() -> SteeringVector.load(garbage)).isInstanceOf(SteeringException.class)
                .hasMessageContaining("garbage.safetensors");
        assertThatThrownBy(() -> SteeringVector.load(dir.resolve("missing.safetensors")))
                .isInstanceOf(SteeringException.class).hasMessageContaining("not found");
    }

    // ---- bad input -------------------------------------------------------------------------------------------

    @Test
    void badInputGivesClearErrors() {
        ContrastiveOptions o = ContrastiveOptions.defaults();
        assertThatThrownBy(() -> SteeringVector.contrastive(lm, LAYER, List.of(), NEGATIVE, o))
                .isInstanceOf(SteeringException.class).hasMessageContaining("no positive texts");
        assertThatThrownBy(() -> SteeringVector.contrastive(lm, LAYER, POSITIVE, List.of(), o))
                .isInstanceOf(SteeringException.class).hasMessageContaining("no negative texts");
        assertThatThrownBy(() -> SteeringVector.contrastive(lm, "layer_99", POSITIVE, NEGATIVE, o))
                .isInstanceOf(UnknownLayerException.class).hasMessageContaining("layer_99");
        assertThatThrownBy(() -> vector.controller(Double.NaN, PositionScope.ALL))
                .isInstanceOf(SteeringException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> vector.apply(lm, Double.POSITIVE_INFINITY, PositionScope.ALL))
                .isInstanceOf(SteeringException.class).hasMessageContaining("Infinity");
        assertThatThrownBy(() -> new SteeringVector(new float[] {1, Float.NaN}, "m", LAYER, 1, 1, 1, 1,
                TokenMode.ALL_TOKENS)).isInstanceOf(SteeringException.class).hasMessageContaining("component 1");

        // Width mismatch at apply time, before any forward; nothing is registered.
        SteeringVector narrow = new SteeringVector(new float[10], "other-model", "transformer.h.1", 1, 1, 1, 1,
                TokenMode.ALL_TOKENS);
        assertThatThrownBy(() -> narrow.apply(lm, 1.0, PositionScope.ALL)).isInstanceOf(SteeringException.class)
                .hasMessageContaining("length 10").hasMessageContaining("width 256")
                .hasMessageContaining("transformer.h.1");
        // The MLP's inner projection is 1024 wide.
        SteeringVector mlp = new SteeringVector(new float[256], "m", "transformer.h.1.mlp.c_fc", 1, 1, 1, 1,
                TokenMode.ALL_TOKENS);
        assertThatThrownBy(() -> mlp.apply(lm, 1.0, PositionScope.ALL)).isInstanceOf(SteeringException.class)
                .hasMessageContaining("length 256").hasMessageContaining("width 1024");
        // Unknown layer at apply time.
        SteeringVector elsewhere = new SteeringVector(new float[256], "m", "transformer.h.9", 1, 1, 1, 1,
                TokenMode.ALL_TOKENS);
        assertThatThrownBy(() -> elsewhere.apply(lm, 1.0, PositionScope.ALL))
                .isInstanceOf(UnknownLayerException.class).hasMessageContaining("transformer.h.9");
        assertThat(lm.layers().allHooks()).isEmpty();

        // A controller registered by hand on a layer of another width fails the forward with both widths named.
        String id = lm.layers().registerHook("transformer.h.1.mlp.c_fc", mlp.controller(1.0, PositionScope.ALL));
        try {
            assertThatThrownBy(() -> lm.inference().executeInference(List.of("The jury said")))
                    .hasRootCauseInstanceOf(SteeringException.class).rootCause().hasMessageContaining("length 256")
                    .hasMessageContaining("width 1024");
        } finally {
            lm.layers().unregisterHook(id);
        }
    }
}
