package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.nn.Linear;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradients of every architecture family against central finite differences, on a float64 copy of its tiny fixture
 * model (so families without a PyTorch gradient reference are covered too): for each block's input
 * ({@code hook_resid_pre}), attention output and MLP output, and one MLP weight, the autograd gradient g along a few
 * random directions v, g · v, must equal (metric(x + εv) − metric(x − εv)) / 2ε, where the activation is moved by a
 * per-call {@link Interventions#edit} and the weight in place. The metric is a logit difference at each row's last
 * real token for the decoders and a difference of two hidden features at a middle position for BERT, on the
 * fixture's batch with a right-padded row. Gemma 2 is checked a second time with soft-caps small enough that both
 * tanh caps saturate. Measured errors are below 2e-10 relative on every family; a gradient that skips the tanh's
 * derivative in Gemma 2's attention soft-cap misses by 2e-5 (1.8e-2 saturated), one that detaches NeoX's parallel
 * MLP branch from the residual by 20, and a mismatched direction by about 1.
 */
class FiniteDifferenceGradientsTest {

    /** Step along a unit-variance direction: truncation error ~ε², rounding ~1e-16/ε, both far below TOLERANCE. */
    private static final double EPSILON = 1e-6;
    /** |g·v − finite difference| / |g·v|; a wrong gradient misses by far more. */
    private static final double TOLERANCE = 1e-7;
    /** Directions per site (all sites' in one forward: the batch repeated per site and signed direction). */
    private static final int DIRECTIONS = 3;
    /** Directions for the weight (two forwards each). */
    private static final int WEIGHT_DIRECTIONS = 2;
    private static final LogitMetric LOGIT_DIFF = LogitMetric.logitDiff(17, 423);
    /** BERT has no LM head: hidden feature 5 minus feature 40 at position 3 of each row, summed. */
    private static final LogitMetric BERT_FEATURE_DIFF = LogitMetric.differentiable((hidden, mask) ->
            hidden.get(new NDIndex(":, 3, 5")).sub(hidden.get(new NDIndex(":, 3, 40"))).sum());

    static Stream<Arguments> families() {
        return Stream.of(
                Arguments.of("bert", "encoder.layer.0.intermediate.dense"),
                Arguments.of("gemma", "model.layers.0.mlp.gate_proj"),
                Arguments.of("gemma2", "model.layers.0.mlp.gate_proj"),
                Arguments.of("gpt2", "transformer.h.0.mlp.c_fc"),
                Arguments.of("gpt_neox", "gpt_neox.layers.0.mlp.dense_h_to_4h"),
                Arguments.of("llama", "model.layers.0.mlp.up_proj"),
                Arguments.of("mistral", "model.layers.0.mlp.gate_proj"),
                Arguments.of("phi3", "model.layers.0.mlp.gate_up_proj"),
                Arguments.of("qwen2", "model.layers.0.mlp.gate_proj"),
                Arguments.of("qwen3", "model.layers.0.mlp.down_proj"));
    }

    @Test
    void everyFixtureFamilyIsChecked() {
        assertThat(families().map(a -> (String) a.get()[0]).toList())
                .containsExactlyInAnyOrderElementsOf(Fixture.architectures());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("families")
    void autogradMatchesCentralDifferencesInFloat64(String arch, String weightModule) {
        try (Fixture fixture = Fixture.open(arch)) {
            check(fixture.modelDir(), fixture, weightModule);
        }
    }

    @Test
    void gemma2SaturatedSoftCapsMatchCentralDifferences(@TempDir Path dir) throws IOException {
        try (Fixture fixture = Fixture.open("gemma2")) {
            Path model = fixture.modelDir();
            for (String file : List.of("model.safetensors", "generation_config.json")) {
                Files.copy(model.resolve(file), dir.resolve(file));
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = (ObjectNode) json.readTree(model.resolve("config.json").toFile());
            config.put("attn_logit_softcapping", 0.5);
            config.put("final_logit_softcapping", 1.0);
            json.writeValue(dir.resolve("config.json").toFile(), config);
            try (LanguageModel lm = float64(dir);
                 RunResult run = lm.inference().run(fixture.ids("input_ids"), fixture.ids("attention_mask"),
                         Interventions.none())) {
                // the fixture's logits reach 2.7 in magnitude: a cap of 1 bends them well away from linear
                assertThat(run.logits().abs().max().getDouble()).isLessThan(1.0).isGreaterThan(0.7);
            }
            check(dir, fixture, "model.layers.0.mlp.gate_proj");
        }
    }

    private static LanguageModel float64(Path dir) {
        return LanguageModel.load(dir, LoadOptions.defaults().withDtype(DataType.FLOAT64));
    }

    /** Loads {@code dir} in float64 and checks every block's sites and one weight on the fixture's batch. */
    private static void check(Path dir, Fixture fixture, String weightModule) {
        long[][] ids = fixture.ids("input_ids");
        long[][] mask = fixture.ids("attention_mask");
        try (LanguageModel lm = float64(dir); NDManager directions = NDManager.newBaseManager()) {
            LogitMetric metric = lm.module().isDecoder() ? LOGIT_DIFF : BERT_FEATURE_DIFF;
            List<String> sites = new ArrayList<>();
            for (int l = 0; l < lm.config().numLayers(); l++) {
                sites.addAll(List.of("blocks." + l + ".hook_resid_pre", "blocks." + l + ".hook_attn_out",
                        "blocks." + l + ".hook_mlp_out"));
            }
            String weightName = weightModule + ".weight";
            Random random = new Random(fixture.modelDir().getParent().getFileName().toString().hashCode());
            try (GradientResult g = lm.gradients().withParameters(weightName)
                    .of(ids, mask, metric, sites.toArray(String[]::new))) {
                List<List<NDArray>> steps = new ArrayList<>();
                for (String site : sites) {
                    assertThat(g.get(site).getDataType()).as(site).isEqualTo(DataType.FLOAT64);
                    List<NDArray> forSite = new ArrayList<>();
                    for (int d = 0; d < DIRECTIONS; d++) {
                        forSite.add(step(directions, g.get(site).getShape(), random));
                    }
                    steps.add(forSite);
                }
                double[][] numeric = centralDifferencesAt(lm, ids, mask, metric, sites, steps);
                for (int s = 0; s < sites.size(); s++) {
                    for (int d = 0; d < DIRECTIONS; d++) {
                        assertClose(sites.get(s) + " direction " + d, g.get(sites.get(s)), steps.get(s).get(d),
                                numeric[s][d]);
                    }
                }
                NDArray weight = ((Linear) lm.layers().module(weightModule)).weight();
                NDArray gradient = inModuleLayout(g.parameter(weightName), weight.getShape());
                for (int d = 0; d < WEIGHT_DIRECTIONS; d++) {
                    NDArray step = step(directions, weight.getShape(), random);
                    assertClose(weightName + " direction " + d, gradient, step,
                            centralDifferenceOfWeight(lm, ids, mask, metric, weight, step));
                }
            }
        }
    }

    /** ε · a standard normal direction, float64, owned by {@code manager}. */
    private static NDArray step(NDManager manager, Shape shape, Random random) {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = EPSILON * random.nextGaussian();
        }
        return manager.create(values, shape);
    }

    /**
     * (metric(x + step) − metric(x − step)) / 2ε for every site and each of its steps, from one forward: the batch is
     * repeated once per site and signed step, and each copy's activation moved at its own site only.
     */
    private static double[][] centralDifferencesAt(LanguageModel lm, long[][] ids, long[][] mask, LogitMetric metric,
                                                   List<String> sites, List<List<NDArray>> steps) {
        int copies = 2 * sites.size() * DIRECTIONS;
        List<long[]> repeatedIds = new ArrayList<>();
        List<long[]> repeatedMask = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            repeatedIds.addAll(Arrays.asList(ids));
            repeatedMask.addAll(Arrays.asList(mask));
        }
        Interventions moves = Interventions.none();
        for (int s = 0; s < sites.size(); s++) {
            NDList parts = new NDList();
            for (int t = 0; t < sites.size(); t++) {
                for (NDArray step : steps.get(t)) {
                    parts.add(t == s ? step : step.zerosLike());
                    parts.add(t == s ? step.neg() : step.zerosLike());
                }
            }
            NDArray move = NDArrays.concat(parts);
            moves = moves.and(Interventions.edit(sites.get(s), x -> x.add(move)));
        }
        double[] values = metricPerCopy(lm, repeatedIds.toArray(long[][]::new), repeatedMask.toArray(long[][]::new),
                mask, metric, moves);
        double[][] out = new double[sites.size()][DIRECTIONS];
        for (int s = 0; s < sites.size(); s++) {
            for (int d = 0; d < DIRECTIONS; d++) {
                int up = 2 * (s * DIRECTIONS + d);
                out[s][d] = (values[up] - values[up + 1]) / (2 * EPSILON);
            }
        }
        return out;
    }

    /** (metric(w + step) − metric(w − step)) / 2ε, moving the model's weight in place and back. */
    private static double centralDifferenceOfWeight(LanguageModel lm, long[][] ids, long[][] mask,
                                                    LogitMetric metric, NDArray weight, NDArray step) {
        weight.addi(step);
        try {
            double up = metricPerCopy(lm, ids, mask, mask, metric, Interventions.none())[0];
            weight.subi(step).subi(step);
            double down = metricPerCopy(lm, ids, mask, mask, metric, Interventions.none())[0];
            return (up - down) / (2 * EPSILON);
        } finally {
            weight.addi(step);
        }
    }

    /** The metric, in float64, of each copy of the {@code mask.length} rows of a batch that repeats them. */
    private static double[] metricPerCopy(LanguageModel lm, long[][] ids, long[][] runMask, long[][] mask,
                                          LogitMetric metric, Interventions interventions) {
        try (RunResult run = lm.inference().run(ids, runMask, interventions)) {
            NDArray logits = run.logits();
            assertThat(logits.getDataType()).isEqualTo(DataType.FLOAT64);
            double[] out = new double[ids.length / mask.length];
            for (int c = 0; c < out.length; c++) {
                NDArray copy = logits.get(new NDIndex("{}:{}", c * mask.length, (c + 1) * mask.length));
                out[c] = metric.tensor(copy, mask).toDoubleArray()[0];
            }
            return out;
        }
    }

    /** A checkpoint-layout gradient in the module's layout: GPT-2's Conv1D stores its weight transposed. */
    private static NDArray inModuleLayout(NDArray gradient, Shape moduleShape) {
        if (gradient.getShape().equals(moduleShape)) {
            return gradient;
        }
        NDArray transposed = gradient.transpose();
        assertThat(transposed.getShape()).as("gradient layout").isEqualTo(moduleShape);
        return transposed;
    }

    /** Asserts g · (ε v) / ε equals the finite difference within {@link #TOLERANCE}, relative. */
    private static void assertClose(String what, NDArray gradient, NDArray step, double numeric) {
        double analytic = gradient.mul(step).sum().getDouble() / EPSILON;
        assertThat(Math.abs(analytic)).as(what + ": |g·v| (a zero gradient checks nothing)").isGreaterThan(1e-6);
        assertThat(Math.abs(analytic - numeric) / Math.abs(analytic))
                .as(what + ": autograd " + analytic + " vs finite difference " + numeric).isLessThan(TOLERANCE);
    }
}
