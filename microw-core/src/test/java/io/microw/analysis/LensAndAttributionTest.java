package io.microw.analysis;

import ai.djl.ndarray.NDManager;
import io.microw.io.SafetensorsFile;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.nn.Linear;
import io.microw.testing.Fixture;
import io.microw.util.TopK;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The logit lens and direct logit attribution against the reference values: the lens's last layer gives the
 * model's top tokens (Hugging Face's logits) and the reference metric; the attributed parts sum to the reference
 * logit difference.
 */
class LensAndAttributionTest {

    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt2", "llama", "qwen2"})
    void lensEndsAtTheModelsPredictionAndAttributionsSumToTheLogitDifference(String arch) throws Exception {
        try (Fixture fixture = Fixture.open(arch); LanguageModel lm = LanguageModel.load(fixture.modelDir());
             SafetensorsFile ref = SafetensorsFile.open(Path.of(getClass()
                     .getResource("/gradients/" + arch + "/reference.safetensors").toURI()))) {
            NDManager modelManager = ((Linear) lm.layers().module("unembed")).weight().getManager();
            int arraysBefore = modelManager.getManagedArrays().size();
            long[] answer = ref.readLongs("answer");
            float cleanMetric = ref.readFloats("metric/clean")[0];
            long[][] clean = {ref.readLongs("clean_ids")};

            LogitLens.Result lens = LogitLens.of(lm, clean, 5, LogitMetric.logitDiff(answer[0], answer[1]));
            assertThat(lens.labels()).containsExactly("blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre",
                    "blocks.1.hook_resid_post");
            assertThat((double) lens.metric()[2]).isCloseTo(cleanMetric, within(TOLERANCE));
            // Hugging Face's single-row logits cover the same prompt: their top tokens at the last position.
            long[] single = fixture.ids("single/input_ids")[0];
            LogitLens.Result onSingle = LogitLens.of(lm, new long[][] {single}, 5, (l, m) -> 0f);
            float[] hf = fixture.get("single/logits").values();
            int vocab = lm.config().vocabSize();
            float[] lastRow = Arrays.copyOfRange(hf, (single.length - 1) * vocab, single.length * vocab);
            assertThat(onSingle.topTokens()[2][0]).containsExactly(TopK.indices(lastRow, 5));
            assertThat(onSingle.topTokens()[0][0]).hasSize(5);

            DirectLogitAttribution.Result dla = DirectLogitAttribution.logitDiff(lm, clean, answer[0], answer[1]);
            assertThat(dla.components()).containsExactly("embed", "blocks.0.attn", "blocks.0.mlp", "blocks.1.attn",
                    "blocks.1.mlp", "biases");
            double sum = Arrays.stream(dla.values()).mapToDouble(v -> v[0]).sum();
            assertThat(sum).isCloseTo(cleanMetric, within(TOLERANCE));
            assertThat((double) dla.logitDiff()[0]).isCloseTo(cleanMetric, within(TOLERANCE));
            assertThat(dla.heads()).hasDimensions(2, 4);
            if (!arch.equals("gpt2")) {
                // No bias on Llama's and Qwen2's o_proj: the heads make up the whole attention part.
                for (int l = 0; l < 2; l++) {
                    double heads = Arrays.stream(dla.heads()[l]).mapToDouble(h -> h[0]).sum();
                    assertThat(heads).isCloseTo(dla.values()[1 + 2 * l][0], within(TOLERANCE));
                }
            }
            assertThat(modelManager.getManagedArrays()).as("arrays left in the model's manager")
                    .hasSize(arraysBefore);
        }
    }
}
