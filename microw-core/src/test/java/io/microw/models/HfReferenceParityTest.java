package io.microw.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.hooks.FunctionController;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.testing.Compare;
import io.microw.testing.Fixture;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every architecture against Hugging Face's outputs (the fixtures in test resources, one folder each): layer
 * names, every named module's output, hidden states, attention patterns, logits (or the encoder's last hidden
 * state), left padding, a single row, steering, and greedy generation.
 */
class HfReferenceParityTest {

    private static final double TOLERANCE = 1e-4;

    static List<String> architectures() {
        return Fixture.architectures();
    }

    /** A loaded fixture model with its reference data; closed after each test. */
    private static final class Case implements AutoCloseable {
        final Fixture fixture;
        final LanguageModel lm;
        final JsonNode reference;
        final String outputKey;

        Case(String arch) throws IOException {
            fixture = Fixture.open(arch);
            lm = LanguageModel.load(fixture.modelDir());
            reference = new ObjectMapper().readTree(fixture.modelDir().resolveSibling("reference.json").toFile());
            outputKey = fixture.has("logits") ? "logits" : "last_hidden_state";
        }

        long[][] ids(String key) {
            return fixture.ids(key);
        }

        @Override
        public void close() {
            lm.close();
            fixture.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void layerNamesFollowHuggingFaceModuleOrder(String arch) throws IOException {
        try (Case c = new Case(arch)) {
            List<String> expected = new ArrayList<>();
            c.reference.get("modules").forEach(n -> expected.add(n.asText()));
            List<String> hfOnly = c.lm.layers().names().stream().filter(n -> !n.contains("hook_")).toList();
            assertThat(hfOnly).containsExactlyElementsOf(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void everyModuleMatches(String arch) throws IOException {
        try (Case c = new Case(arch)) {
            long[][] mask = c.ids("attention_mask");
            Map<String, RecordingDetector> detectors = new LinkedHashMap<>();
            for (String key : c.fixture.keys()) {
                if (key.startsWith("out/") || key.startsWith("in/")) {
                    String module = key.split("/")[1];
                    detectors.computeIfAbsent(module, m -> {
                        RecordingDetector d = new RecordingDetector(m);
                        c.lm.layers().registerHook(m, d);
                        return d;
                    });
                }
            }
            try (InferenceResult result = c.lm.inference().forward(c.ids("input_ids"), mask)) {
                assertThat(Compare.maxDiff(result.output(), c.fixture.get(c.outputKey), mask)).as(c.outputKey)
                        .isLessThan(TOLERANCE);
            }
            int checked = 0;
            for (String key : c.fixture.keys()) {
                String[] parts = key.split("/");
                if (!parts[0].equals("out") && !parts[0].equals("in")) {
                    continue;
                }
                RecordingDetector d = detectors.get(parts[1]);
                assertThat(d.calls).as("calls of " + parts[1]).isEqualTo(1);
                int index = Integer.parseInt(parts[3]);
                boolean out = parts[0].equals("out");
                assertThat((out ? d.outputs : d.inputs).size()).as(key).isGreaterThan(index);
                float[] values = (out ? d.outputs : d.inputs).get(index);
                long[] shape = (out ? d.outputShapes : d.inputShapes).get(index);
                // a tensor without a sequence dimension (BERT's pooler, [batch, hidden]) is compared on every row
                double diff = Compare.maxDiff(values, shape, c.fixture.get(key), shape.length == 2 ? null : mask,
                        isPattern(shape));
                assertThat(diff).as(key).isLessThan(TOLERANCE);
                checked++;
            }
            assertThat(checked).isGreaterThan(10);
        }
    }

    /** Attention patterns are [batch, heads, query, key]; everything else is [batch, seq, ...]. */
    private static boolean isPattern(long[] shape) {
        return shape.length == 4 && shape[2] == shape[3];
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void hiddenStatesMatchResidualStreamHookPoints(String arch) throws IOException {
        try (Case c = new Case(arch)) {
            long[][] mask = c.ids("attention_mask");
            int layers = c.lm.config().numLayers();
            List<String> points = new ArrayList<>();
            points.add("blocks.0.hook_resid_pre");
            for (int i = 0; i < layers - 1; i++) {
                points.add("blocks." + i + ".hook_resid_post");
            }
            points.add(c.lm.module().isDecoder() ? "ln_final.hook_normalized" : "blocks." + (layers - 1) + ".hook_resid_post");
            List<RecordingDetector> detectors = new ArrayList<>();
            for (String p : points) {
                RecordingDetector d = new RecordingDetector(p);
                detectors.add(d);
                c.lm.layers().registerHook(p, d);
            }
            try (InferenceResult ignored = c.lm.inference().forward(c.ids("input_ids"), mask)) {
                for (int i = 0; i <= layers; i++) {
                    RecordingDetector d = detectors.get(i);
                    double diff = Compare.maxDiff(d.outputs.get(0), d.outputShapes.get(0),
                            c.fixture.get("hidden_states/" + i), mask, false);
                    assertThat(diff).as("hidden_states/" + i + " at " + points.get(i)).isLessThan(TOLERANCE);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void hookPatternMatchesAttentionWeights(String arch) throws IOException {
        try (Case c = new Case(arch)) {
            String attention = c.lm.layers().resolve("blocks.0.attn");
            String key = "out/" + attention + "/0/1";
            if (!c.fixture.has(key)) {
                return; // this architecture's attention module returns no pattern in Hugging Face
            }
            RecordingDetector d = new RecordingDetector("blocks.0.attn.hook_pattern");
            c.lm.layers().registerHook("blocks.0.attn.hook_pattern", d);
            long[][] mask = c.ids("attention_mask");
            try (InferenceResult ignored = c.lm.inference().forward(c.ids("input_ids"), mask)) {
                double diff = Compare.maxDiff(d.outputs.get(0), d.outputShapes.get(0), c.fixture.get(key), mask, true);
                assertThat(diff).isLessThan(TOLERANCE);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void leftPaddingAndSingleRowMatch(String arch) throws IOException {
        try (Case c = new Case(arch)) {
            if (!c.fixture.has("left/input_ids")) {
                assertThat(c.lm.module().isDecoder()).as("only encoders come without a left-padding fixture").isFalse();
                return; // HF's BERT numbers positions 0.. whatever the padding; BertTest checks microw's left padding
            }
            long[][] mask = c.ids("left/attention_mask");
            try (InferenceResult withPositions = c.lm.inference().forward(c.ids("left/input_ids"), mask,
                    c.ids("left/position_ids"));
                 InferenceResult fromMask = c.lm.inference().forward(c.ids("left/input_ids"), mask);
                 InferenceResult single = c.lm.inference().forward(c.ids("single/input_ids"), null)) {
                String leftKey = "left/" + c.outputKey;
                assertThat(Compare.maxDiff(withPositions.output(), c.fixture.get(leftKey), mask)).isLessThan(TOLERANCE);
                assertThat(Compare.maxDiff(fromMask.output(), c.fixture.get(leftKey), mask)).isLessThan(TOLERANCE);
                assertThat(Compare.maxDiff(single.output(), c.fixture.get("single/" + c.outputKey), null))
                        .isLessThan(TOLERANCE);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void steeringControllerMatchesScaledModuleOutput(String arch) throws IOException {
        try (Case c = new Case(arch)) {
            String module = c.reference.get("steer_module").asText();
            float scale = (float) c.reference.get("steer_scale").asDouble();
            c.lm.layers().registerHook(module, new FunctionController(module, x -> x.mul(scale)));
            long[][] mask = c.ids("attention_mask");
            try (InferenceResult r = c.lm.inference().forward(c.ids("input_ids"), mask)) {
                assertThat(Compare.maxDiff(r.output(), c.fixture.get("steer/" + c.outputKey), mask))
                        .isLessThan(TOLERANCE);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void greedyGenerationMatchesReferenceIds(String arch) throws IOException {
        try (Case c = new Case(arch)) {
            if (!c.fixture.has("gen/output_ids")) {
                assertThat(c.lm.module().isDecoder()).as("only encoders come without a generation fixture").isFalse();
                return;
            }
            long[][] prompt = c.ids("gen/input_ids");
            long[][] expected = c.ids("gen/output_ids");
            GenerationResult result = c.lm.inference().generate(prompt, GenerationConfig.builder()
                    .maxNewTokens(expected[0].length - prompt[0].length).stopAtEos(false).build());
            assertThat(result.sequences()[0]).containsExactly(expected[0]);
        }
    }
}
