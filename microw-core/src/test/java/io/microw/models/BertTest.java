package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.io.SafetensorsFile;
import io.microw.io.SafetensorsWriter;
import io.microw.lm.GenerationConfig;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.testing.Compare;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** BERT beyond the HF fixture: random init, checkpoint name variants, padding on either side, bad configs. */
class BertTest {

    private static final String CONFIG = "{\"model_type\":\"bert\",\"vocab_size\":50,\"hidden_size\":16,"
            + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"intermediate_size\":32,"
            + "\"max_position_embeddings\":20,\"hidden_act\":\"gelu\"}";

    @TempDir
    Path dir;

    @Test
    void randomInitBuildsAnEncoderThatCannotGenerate() {
        try (LanguageModel lm = LanguageModel.randomInit(HfConfig.parse(CONFIG), 7)) {
            assertThat(lm.config().architecture()).isEqualTo("BertModel");
            assertThat(lm.module().isDecoder()).isFalse();
            assertThat(lm.layers().names()).contains("embeddings.token_type_embeddings", "encoder.layer.1.output.LayerNorm",
                    "encoder.layer.0.attention.self.hook_pattern", "pooler.dense", "pooler.activation");
            assertThat(lm.layers().resolve("blocks.1.hook_resid_post")).isEqualTo("encoder.layer.1.hook_resid_post");
            assertThat(lm.layers().resolve("blocks.0.attn.hook_z")).isEqualTo("encoder.layer.0.attention.self.hook_z");
            assertThat(lm.layers().resolve("hook_embed")).isEqualTo("embeddings.word_embeddings");
            assertThat(lm.layers().resolve("blocks.0.hook_mlp_out")).isEqualTo("encoder.layer.0.output.dense");
            try (InferenceResult r = lm.inference().forward(new long[][] {{1, 2, 3}, {4, 5, 6}}, null)) {
                assertThat(r.output().getShape().getShape()).containsExactly(2, 3, 16);
            }
            assertThatThrownBy(() -> lm.inference().generate(new long[][] {{1, 2}},
                    GenerationConfig.builder().maxNewTokens(1).build()))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("BertModel");
        }
    }

    @Test
    void taskCheckpointNamesOldLayerNormNamesAndNoPoolerLoad() throws IOException {
        try (Fixture fixture = Fixture.open("bert");
             SafetensorsFile original = SafetensorsFile.open(fixture.modelDir().resolve("model.safetensors"))) {
            SafetensorsWriter writer = new SafetensorsWriter();
            for (String name : original.names()) {
                if (name.startsWith("pooler.")) {
                    continue;
                }
                String stored = "bert." + name.replaceAll("LayerNorm\\.weight$", "LayerNorm.gamma")
                        .replaceAll("LayerNorm\\.bias$", "LayerNorm.beta");
                writer.putFloats(stored, original.info(name).shape(), original.readFloats(name));
            }
            writer.putFloats("cls.predictions.bias", new long[] {1000}, new float[1000]);
            writer.write(dir.resolve("model.safetensors"));
            Files.copy(fixture.modelDir().resolve("config.json"), dir.resolve("config.json"));
            long[][] mask = fixture.ids("attention_mask");
            try (LanguageModel lm = LanguageModel.load(dir);
                 InferenceResult r = lm.inference().forward(fixture.ids("input_ids"), mask)) {
                assertThat(((Bert.BertModel) lm.module()).hasPooler()).isFalse();
                assertThat(lm.layers().names()).noneMatch(n -> n.startsWith("pooler"));
                assertThat(Compare.maxDiff(r.output(), fixture.get("last_hidden_state"), mask)).isLessThan(1e-4);
            }
        }
    }

    @Test
    void aRowComputesTheSameAloneAndPaddedOnEitherSide() {
        try (Fixture fixture = Fixture.open("bert"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            long[] row = Arrays.copyOf(fixture.ids("input_ids")[1], 8); // row 1 has 8 real tokens
            long[][] right = {Arrays.copyOf(row, 12)};
            long[][] rightMask = {{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0}};
            long[][] left = {new long[12]};
            System.arraycopy(row, 0, left[0], 4, 8);
            long[][] leftMask = {{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}};
            try (InferenceResult alone = lm.inference().forward(new long[][] {row}, null);
                 InferenceResult r = lm.inference().forward(right, rightMask);
                 InferenceResult l = lm.inference().forward(left, leftMask)) {
                float[] a = alone.output().toFloatArray();
                float[] rv = r.output().toFloatArray();
                float[] lv = l.output().toFloatArray();
                int hidden = 64;
                for (int i = 0; i < 8 * hidden; i++) {
                    assertThat((double) Math.abs(rv[i] - a[i])).isLessThan(1e-5);
                    assertThat((double) Math.abs(lv[4 * hidden + i] - a[i])).isLessThan(1e-5);
                }
            }
        }
    }

    @Test
    void unsupportedSettingsAreErrorsNamingTheKey() {
        assertThatThrownBy(() -> LanguageModel.randomInit(HfConfig.parse(
                CONFIG.replace("}", ",\"position_embedding_type\":\"relative_key\"}")), 1))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("position_embedding_type");
        assertThatThrownBy(() -> LanguageModel.randomInit(HfConfig.parse(
                CONFIG.replace("\"num_attention_heads\":4", "\"num_attention_heads\":5")), 1))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("not divisible");
        assertThatThrownBy(() -> LanguageModel.randomInit(HfConfig.parse(
                CONFIG.replace("\"intermediate_size\":32,", "")), 1))
                .hasMessageContaining("intermediate_size");
    }
}
