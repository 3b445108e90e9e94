package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RandomInitTest {

    private static final String CONFIG = "{\"model_type\":\"gpt2\",\"n_layer\":3,\"n_embd\":48,\"n_head\":6,"
            + "\"vocab_size\":300,\"n_positions\":32,\"activation_function\":\"gelu\",\"tie_word_embeddings\":false}";
    private static final long[][] IDS = {{1, 5, 9, 200, 299, 0}};

    private static float[] logits(long seed) {
        try (LanguageModel lm = LanguageModel.randomInit(HfConfig.parse(CONFIG), seed);
             InferenceResult r = lm.inference().forward(IDS, null)) {
            assertThat(r.logits().getShape().getShape()).containsExactly(1, 6, 300);
            assertThat(lm.layers().names()).contains("transformer.h.2.mlp.c_proj", "lm_head");
            return r.logits().toFloatArray();
        }
    }

    @Test
    void sameSeedBuildsTheSameModel() {
        assertThat(logits(7)).containsExactly(logits(7));
    }

    @Test
    void differentSeedsBuildDifferentModels() {
        assertThat(logits(7)).isNotEqualTo(logits(8));
    }

    @Test
    void configShapesAreHonoured() {
        try (LanguageModel lm = LanguageModel.randomInit(HfConfig.parse(CONFIG), 1)) {
            Gpt2Config c = (Gpt2Config) lm.config();
            assertThat(c.numLayers()).isEqualTo(3);
            assertThat(c.headDim()).isEqualTo(8);
            assertThat(c.innerSize()).isEqualTo(192);
            assertThat(c.tieWordEmbeddings()).isFalse();
        }
    }
}
