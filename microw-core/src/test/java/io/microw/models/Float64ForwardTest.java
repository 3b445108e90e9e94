package io.microw.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.InferenceResult;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LoadOptions;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
import io.microw.testing.Compare;
import io.microw.testing.Fixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Every architecture loaded in float64 ({@code LoadOptions.withDtype(FLOAT64)}): its output matches Hugging Face's
 * float32 reference, and every floating-point module output of the forward is float64 (no step falls back to
 * float32, which would make a finite-difference gradient check meaningless). What reads logits into Java floats
 * (metric values, greedy generation) works on a float64 model too.
 */
class Float64ForwardTest {

    private static final double TOLERANCE = 1e-4;

    static Iterable<String> architectures() {
        return Fixture.architectures();
    }

    /** Records the dtype of each floating-point output a layer produced. */
    private static final class DtypeDetector extends BaseHook implements Detector {
        private final Map<String, DataType> seen;

        DtypeDetector(String layer, Map<String, DataType> seen) {
            super(HookType.FORWARD, layer);
            this.seen = seen;
        }

        @Override
        public void processActivations(HookCall call) {
            for (NDArray out : call.outputs()) {
                if (out.getDataType().isFloating()) {
                    seen.merge(call.layer(), out.getDataType(), (a, b) -> a == DataType.FLOAT64 ? b : a);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void metricValuesAndGreedyGenerationReadFloat64Logits(String arch) {
        try (Fixture fixture = Fixture.open(arch);
             LanguageModel lm = LanguageModel.load(fixture.modelDir(),
                     LoadOptions.defaults().withDtype(DataType.FLOAT64))) {
            long[][] mask = fixture.ids("attention_mask");
            LogitMetric metric = LogitMetric.logitDiff(3, 7);
            try (RunResult run = lm.inference().run(fixture.ids("input_ids"), mask, Interventions.none())) {
                float[] rows = metric.perRow(run.logits(), mask);
                float[] expected = fixture.get(fixture.has("logits") ? "logits" : "last_hidden_state").values();
                int width = (int) run.logits().getShape().get(2);
                int seq = mask[0].length;
                for (int row = 0; row < rows.length; row++) {
                    int last = (int) Arrays.stream(mask[row]).sum() - 1;
                    int at = (row * seq + last) * width;
                    assertThat((double) rows[row]).as("row " + row)
                            .isCloseTo(expected[at + 3] - expected[at + 7], within(TOLERANCE));
                }
                assertThat(metric.apply(run.logits(), mask)).isCloseTo(rows[0] + rows[1], within(1e-5f));
            }
            if (fixture.has("gen/output_ids")) {
                long[][] prompt = fixture.ids("gen/input_ids");
                long[][] expected = fixture.ids("gen/output_ids");
                GenerationResult result = lm.inference().generate(prompt, GenerationConfig.builder()
                        .maxNewTokens(expected[0].length - prompt[0].length).stopAtEos(false).build());
                assertThat(result.sequences()[0]).containsExactly(expected[0]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void float64OutputMatchesTheFloat32ReferenceAndStaysFloat64Throughout(String arch) {
        try (Fixture fixture = Fixture.open(arch);
             LanguageModel lm = LanguageModel.load(fixture.modelDir(),
                     LoadOptions.defaults().withDtype(DataType.FLOAT64))) {
            assertThat(lm.dtype()).isEqualTo(DataType.FLOAT64);
            Map<String, DataType> seen = new TreeMap<>();
            for (String layer : lm.layers().names()) {
                if (lm.layers().module(layer).isCallable()) {
                    lm.layers().registerHook(layer, new DtypeDetector(layer, seen));
                }
            }
            long[][] mask = fixture.ids("attention_mask");
            String key = fixture.has("logits") ? "logits" : "last_hidden_state";
            try (InferenceResult result = lm.inference().forward(fixture.ids("input_ids"), mask)) {
                NDArray output = result.output();
                assertThat(output.getDataType()).as(key + " dtype").isEqualTo(DataType.FLOAT64);
                double diff = Compare.maxDiff(output.toType(DataType.FLOAT32, false), fixture.get(key), mask);
                assertThat(diff).as(key).isLessThan(TOLERANCE);
            }
            assertThat(seen).as("layers that ran").hasSizeGreaterThan(10);
            assertThat(seen).as("module outputs not in float64")
                    .allSatisfy((layer, dtype) -> assertThat(dtype).as(layer).isEqualTo(DataType.FLOAT64));
        }
    }
}
