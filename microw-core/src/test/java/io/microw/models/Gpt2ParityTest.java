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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** GPT-2 against Hugging Face's outputs: every named module, logits, padding, steering, generation. */
class Gpt2ParityTest {

    private static final double TOLERANCE = 1e-4;
    private static Fixture fixture;
    private static LanguageModel lm;
    private static JsonNode reference;

    @BeforeAll
    static void load() throws IOException {
        fixture = Fixture.open("gpt2");
        lm = LanguageModel.load(fixture.modelDir());
        reference = new ObjectMapper().readTree(fixture.modelDir().resolveSibling("reference.json").toFile());
    }

    @AfterAll
    static void close() {
        lm.close();
        fixture.close();
    }

    @Test
    void layerNamesFollowHuggingFaceModuleOrder() {
        List<String> expected = new ArrayList<>();
        reference.get("modules").forEach(n -> expected.add(n.asText()));
        List<String> hfOnly = lm.layers().names().stream().filter(n -> !n.contains("hook_")).toList();
        assertThat(hfOnly).containsExactlyElementsOf(expected);
    }

    @Test
    void everyModuleOutputMatchesReference() {
        long[][] ids = fixture.ids("input_ids");
        long[][] mask = fixture.ids("attention_mask");
        Map<String, RecordingDetector> detectors = new LinkedHashMap<>();
        List<String> hookIds = new ArrayList<>();
        for (String key : fixture.keys()) {
            if (key.startsWith("out/") || key.startsWith("in/")) {
                String module = key.split("/")[1];
                detectors.computeIfAbsent(module, m -> {
                    RecordingDetector d = new RecordingDetector(m);
                    hookIds.add(lm.layers().registerHook(m, d));
                    return d;
                });
            }
        }
        try (InferenceResult result = lm.inference().forward(ids, mask)) {
            assertThat(Compare.maxDiff(result.logits(), fixture.get("logits"), mask)).isLessThan(TOLERANCE);
        } finally {
            hookIds.forEach(lm.layers()::unregisterHook);
        }
        int checked = 0;
        for (String key : fixture.keys()) {
            String[] parts = key.split("/");
            if (!parts[0].equals("out") && !parts[0].equals("in")) {
                continue;
            }
            RecordingDetector d = detectors.get(parts[1]);
            int index = Integer.parseInt(parts[3]);
            boolean out = parts[0].equals("out");
            float[] values = (out ? d.outputs : d.inputs).get(index);
            long[] shape = (out ? d.outputShapes : d.inputShapes).get(index);
            double diff = Compare.maxDiff(values, shape, fixture.get(key), mask, shape.length == 4);
            assertThat(diff).as(key).isLessThan(TOLERANCE);
            checked++;
        }
        assertThat(checked).isGreaterThan(30);
    }

    @Test
    void hiddenStatesMatchResidualStreamHookPoints() {
        long[][] ids = fixture.ids("input_ids");
        long[][] mask = fixture.ids("attention_mask");
        int layers = lm.config().numLayers();
        List<String> points = new ArrayList<>();
        points.add("blocks.0.hook_resid_pre");
        for (int i = 0; i < layers - 1; i++) {
            points.add("blocks." + i + ".hook_resid_post");
        }
        points.add("ln_final.hook_normalized");
        List<RecordingDetector> detectors = new ArrayList<>();
        List<String> hookIds = new ArrayList<>();
        for (String p : points) {
            RecordingDetector d = new RecordingDetector(p);
            detectors.add(d);
            hookIds.add(lm.layers().registerHook(p, d));
        }
        try (InferenceResult ignored = lm.inference().forward(ids, mask)) {
            for (int i = 0; i <= layers; i++) {
                RecordingDetector d = detectors.get(i);
                double diff = Compare.maxDiff(d.outputs.get(0), d.outputShapes.get(0),
                        fixture.get("hidden_states/" + i), mask, false);
                assertThat(diff).as("hidden_states/" + i).isLessThan(TOLERANCE);
            }
        } finally {
            hookIds.forEach(lm.layers()::unregisterHook);
        }
    }

    @Test
    void hookPatternMatchesAttentionWeights() {
        RecordingDetector d = new RecordingDetector("blocks.0.attn.hook_pattern");
        String id = lm.layers().registerHook("blocks.0.attn.hook_pattern", d);
        long[][] mask = fixture.ids("attention_mask");
        try (InferenceResult ignored = lm.inference().forward(fixture.ids("input_ids"), mask)) {
            double diff = Compare.maxDiff(d.outputs.get(0), d.outputShapes.get(0),
                    fixture.get("out/transformer.h.0.attn/0/1"), mask, true);
            assertThat(diff).isLessThan(TOLERANCE);
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    @Test
    void leftPaddingGivesTheSameRealTokenLogits() {
        long[][] mask = fixture.ids("left/attention_mask");
        try (InferenceResult withPositions = lm.inference().forward(fixture.ids("left/input_ids"), mask,
                fixture.ids("left/position_ids"));
             InferenceResult fromMask = lm.inference().forward(fixture.ids("left/input_ids"), mask)) {
            assertThat(Compare.maxDiff(withPositions.logits(), fixture.get("left/logits"), mask)).isLessThan(TOLERANCE);
            assertThat(Compare.maxDiff(fromMask.logits(), fixture.get("left/logits"), mask)).isLessThan(TOLERANCE);
        }
    }

    @Test
    void singleUnpaddedRowMatches() {
        try (InferenceResult r = lm.inference().forward(fixture.ids("single/input_ids"), null)) {
            assertThat(Compare.maxDiff(r.logits(), fixture.get("single/logits"), null)).isLessThan(TOLERANCE);
        }
    }

    @Test
    void steeringControllerMatchesScaledModuleOutput() {
        String module = reference.get("steer_module").asText();
        float scale = (float) reference.get("steer_scale").asDouble();
        String id = lm.layers().registerHook(module, new FunctionController(module, x -> x.mul(scale)));
        long[][] mask = fixture.ids("attention_mask");
        try (InferenceResult r = lm.inference().forward(fixture.ids("input_ids"), mask)) {
            assertThat(Compare.maxDiff(r.logits(), fixture.get("steer/logits"), mask)).isLessThan(TOLERANCE);
        } finally {
            lm.layers().unregisterHook(id);
        }
    }

    @Test
    void greedyGenerationMatchesReferenceIds() {
        long[][] prompt = fixture.ids("gen/input_ids");
        long[][] expected = fixture.ids("gen/output_ids");
        GenerationResult result = lm.inference().generate(prompt,
                io.microw.lm.GenerationConfig.builder().maxNewTokens(expected[0].length - prompt[0].length)
                        .stopAtEos(false).build());
        assertThat(result.sequences()[0]).containsExactly(expected[0]);
    }
}
