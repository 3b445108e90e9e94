package io.microw.models;

import ai.djl.ndarray.NDArray;
import io.microw.io.SafetensorsFile;
import io.microw.lm.LanguageModel;
import io.microw.lm.LoadOptions;
import io.microw.lm.RunResult;
import io.microw.testing.Compare;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TransformerLens' weight processing as load options, on the Hugging Face reference fixtures: the log-probabilities
 * stay Hugging Face's with every option TransformerLens defines for a family on (the logits themselves with
 * {@code fold_ln} alone), hook values follow TransformerLens' processed model (expected values computed here from
 * the fixture's tensors, not by microw), and options TransformerLens does not define for a family are refused.
 */
class WeightProcessingTest {

    private static final double TOLERANCE = 1e-4;

    static List<String> decoders() {
        return Fixture.architectures().stream().filter(a -> !a.equals("bert")).toList();
    }

    /** What TransformerLens' from_pretrained applies to the family: centring writes only with LayerNorm. */
    private static LoadOptions everythingDefined(String arch) {
        boolean layerNorm = arch.equals("gpt2") || arch.equals("gpt_neox");
        return LoadOptions.defaults().withFoldLn(true).withCenterWritingWeights(layerNorm)
                .withCenterUnembed(!arch.equals("gemma2")).withFoldValueBiases(true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decoders")
    void everyDefinedOptionKeepsTheLogProbabilities(String arch) {
        try (Fixture fixture = Fixture.open(arch);
             LanguageModel lm = LanguageModel.load(fixture.modelDir(), everythingDefined(arch))) {
            long[][] mask = fixture.ids("attention_mask");
            try (RunResult run = lm.inference().runWithCache(fixture.ids("input_ids"), mask)) {
                NDArray logProbs = run.logits().logSoftmax(-1);
                double diff = Compare.maxDiff(logProbs, logSoftmax(fixture.get("logits")), mask);
                assertThat(diff).as(arch + " log-softmax").isLessThan(TOLERANCE);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decoders")
    void foldLnKeepsTheLogitsAndTheFinalNormOnlyNormalises(String arch) {
        try (Fixture fixture = Fixture.open(arch);
             LanguageModel lm = LanguageModel.load(fixture.modelDir(), LoadOptions.defaults().withFoldLn(true))) {
            long[][] mask = fixture.ids("attention_mask");
            boolean layerNorm = arch.equals("gpt2") || arch.equals("gpt_neox");
            String lastBlock = lm.module().blockName(lm.config().numLayers() - 1);
            try (RunResult run = lm.inference().runWithCache(fixture.ids("input_ids"), mask,
                    "ln_final.hook_normalized")) {
                assertThat(Compare.maxDiff(run.logits(), fixture.get("logits"), mask)).as(arch + " logits")
                        .isLessThan(TOLERANCE);
                Fixture.Ref expected = normalised(fixture.get("out/" + lastBlock + "/0/0"), layerNorm,
                        epsilon(fixture, arch));
                assertThat(Compare.maxDiff(run.cache().get("ln_final.hook_normalized"), expected, mask))
                        .as(arch + " ln_final.hook_normalized without scale").isLessThan(TOLERANCE);
            }
        }
    }

    @Test
    void centerWritingWeightsGivesAResidualStreamWithoutItsMean() {
        try (Fixture fixture = Fixture.open("gpt2");
             LanguageModel lm = LanguageModel.load(fixture.modelDir(),
                     LoadOptions.defaults().withCenterWritingWeights(true))) {
            long[][] mask = fixture.ids("attention_mask");
            try (RunResult run = lm.inference().runWithCache(fixture.ids("input_ids"), mask,
                    "blocks.*.hook_resid_post")) {
                for (int l = 0; l < 2; l++) {
                    Fixture.Ref expected = centred(fixture.get("out/transformer.h." + l + "/0/0"));
                    assertThat(Compare.maxDiff(run.cache().get("blocks." + l + ".hook_resid_post"), expected, mask))
                            .as("resid_post " + l).isLessThan(TOLERANCE);
                }
                assertThat(Compare.maxDiff(run.logits(), fixture.get("logits"), mask)).isLessThan(TOLERANCE);
            }
        }
    }

    @Test
    void centerUnembedShiftsEachPositionsLogitsToMeanZero() {
        try (Fixture fixture = Fixture.open("llama");
             LanguageModel lm = LanguageModel.load(fixture.modelDir(),
                     LoadOptions.defaults().withCenterUnembed(true))) {
            long[][] mask = fixture.ids("attention_mask");
            try (RunResult run = lm.inference().runWithCache(fixture.ids("input_ids"), mask)) {
                assertThat(Compare.maxDiff(run.logits(), centred(fixture.get("logits")), mask))
                        .isLessThan(TOLERANCE);
            }
        }
    }

    @Test
    void foldValueBiasesLeavesTheValuesWithoutTheirBias() {
        try (Fixture fixture = Fixture.open("gpt2");
             SafetensorsFile weights = SafetensorsFile.open(fixture.modelDir().resolve("model.safetensors"));
             LanguageModel plain = LanguageModel.load(fixture.modelDir());
             LanguageModel folded = LanguageModel.load(fixture.modelDir(),
                     LoadOptions.defaults().withFoldValueBiases(true))) {
            long[][] ids = fixture.ids("input_ids");
            long[][] mask = fixture.ids("attention_mask");
            float[] qkvBias = weights.readFloats("transformer.h.0.attn.c_attn.bias");
            try (RunResult before = plain.inference().runWithCache(ids, mask, "blocks.0.attn.hook_v");
                 RunResult after = folded.inference().runWithCache(ids, mask, "blocks.0.attn.hook_v")) {
                NDArray v = before.cache().get("blocks.0.attn.hook_v");
                float[] expected = v.toFloatArray();
                int d = qkvBias.length / 3;
                for (int i = 0; i < expected.length; i++) {
                    expected[i] -= qkvBias[2 * d + i % d];
                }
                Fixture.Ref ref = new Fixture.Ref(v.getShape().getShape(), expected);
                assertThat(Compare.maxDiff(after.cache().get("blocks.0.attn.hook_v"), ref, mask))
                        .isLessThan(TOLERANCE);
                assertThat(Compare.maxDiff(after.logits(), fixture.get("logits"), mask)).isLessThan(TOLERANCE);
            }
        }
    }

    @Test
    void optionsTransformerLensDoesNotDefineAreRefused() {
        try (Fixture bert = Fixture.open("bert");
             Fixture llama = Fixture.open("llama");
             Fixture gemma2 = Fixture.open("gemma2")) {
            assertThatThrownBy(() -> LanguageModel.load(bert.modelDir(), LoadOptions.defaults().withFoldLn(true)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BertModel")
                    .hasMessageContaining("WeightProcessing.none()");
            assertThatThrownBy(() -> LanguageModel.load(llama.modelDir(),
                    LoadOptions.defaults().withCenterWritingWeights(true)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RMSNorm")
                    .hasMessageContaining("withCenterWritingWeights(false)");
            assertThatThrownBy(() -> LanguageModel.load(gemma2.modelDir(),
                    LoadOptions.defaults().withCenterUnembed(true)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("soft cap")
                    .hasMessageContaining("withCenterUnembed(false)");
        }
    }

    @Test
    void optionsAreOffByDefaultAndRecorded() {
        assertThat(LoadOptions.defaults().weightProcessing()).isEqualTo(WeightProcessing.none());
        LoadOptions options = LoadOptions.defaults().withFoldLn(true).withCenterUnembed(true);
        assertThat(options.weightProcessing()).isEqualTo(new WeightProcessing(true, false, true, false));
        try (Fixture fixture = Fixture.open("gpt2");
             LanguageModel lm = LanguageModel.load(fixture.modelDir(), options)) {
            assertThat(lm.loadOptions().weightProcessing()).isEqualTo(options.weightProcessing());
        }
    }

    private static double epsilon(Fixture fixture, String arch) {
        io.microw.io.HfConfig config = io.microw.io.HfConfig.read(fixture.modelDir().resolve("config.json"));
        return switch (arch) {
            case "gpt2" -> config.getDouble("layer_norm_epsilon", 1e-5);
            case "gpt_neox" -> config.getDouble("layer_norm_eps", 1e-5);
            default -> config.getDouble("rms_norm_eps", 1e-6);
        };
    }

    /** (x - mean) / sqrt(var + eps) (LayerNorm) or x / sqrt(mean(x²) + eps) (RMSNorm) over the last dimension. */
    private static Fixture.Ref normalised(Fixture.Ref x, boolean centre, double eps) {
        int d = (int) x.shape()[x.shape().length - 1];
        float[] in = x.values();
        float[] out = new float[in.length];
        for (int row = 0; row < in.length / d; row++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += in[row * d + i];
            }
            mean = centre ? mean / d : 0;
            double square = 0;
            for (int i = 0; i < d; i++) {
                double c = in[row * d + i] - mean;
                square += c * c;
            }
            double inverse = 1 / Math.sqrt(square / d + eps);
            for (int i = 0; i < d; i++) {
                out[row * d + i] = (float) ((in[row * d + i] - mean) * inverse);
            }
        }
        return new Fixture.Ref(x.shape(), out);
    }

    /** x minus its mean over the last dimension. */
    private static Fixture.Ref centred(Fixture.Ref x) {
        int d = (int) x.shape()[x.shape().length - 1];
        float[] in = x.values();
        float[] out = new float[in.length];
        for (int row = 0; row < in.length / d; row++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += in[row * d + i];
            }
            mean /= d;
            for (int i = 0; i < d; i++) {
                out[row * d + i] = (float) (in[row * d + i] - mean);
            }
        }
        return new Fixture.Ref(x.shape(), out);
    }

    /** log softmax over the last dimension, in double. */
    private static Fixture.Ref logSoftmax(Fixture.Ref x) {
        int d = (int) x.shape()[x.shape().length - 1];
        float[] in = x.values();
        float[] out = new float[in.length];
        for (int row = 0; row < in.length / d; row++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < d; i++) {
                max = Math.max(max, in[row * d + i]);
            }
            double sum = 0;
            for (int i = 0; i < d; i++) {
                sum += Math.exp(in[row * d + i] - max);
            }
            double logSum = max + Math.log(sum);
            for (int i = 0; i < d; i++) {
                out[row * d + i] = (float) (in[row * d + i] - logSum);
            }
        }
        return new Fixture.Ref(x.shape(), out);
    }
}
