package io.microw.lm;

import ai.djl.ndarray.NDManager;
import io.microw.io.HfConfig;
import io.microw.nn.Linear;
import io.microw.testing.MemoryBaseline;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 200 greedy generations on a small model, each decoding from weights packed for it (in memory mapped for the
 * generation), leave native memory flat: the packed copies, the KV cache and every step's arrays go with the
 * generation.
 */
class GenerationMemoryTest {

    private static final HfConfig GPT2 = HfConfig.parse("{\"model_type\":\"gpt2\",\"vocab_size\":1000,\"n_embd\":256,"
            + "\"n_layer\":2,\"n_head\":8,\"n_positions\":64}");
    private static final int WARM_UP = 50;
    private static final int GENERATIONS = 200;
    private static final long MAX_GROWTH_BYTES = 32L << 20;

    @Test
    void twoHundredGenerationsKeepNativeMemoryFlat() throws IOException {
        try (LanguageModel lm = LanguageModel.randomInit(GPT2, 5)) {
            NDManager modelManager = ((Linear) lm.layers().module("transformer.h.0.mlp.c_fc")).weight().getManager();
            long[][] prompts = {{3, 14, 15, 92, 65}, {2, 71, 82}, {8, 1, 8, 2, 8, 4}, {9, 9}};
            GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(DecodingLoop.PACK_FROM_NEW_TOKENS)
                    .stopAtEos(false).build();
            long[][] first = null;
            MemoryBaseline baseline = null;
            for (int i = 0; i < GENERATIONS; i++) {
                long[][] sequences = lm.inference().generate(prompts, greedy).sequences();
                if (i == 0) {
                    first = sequences;
                }
                assertThat(sequences).isEqualTo(first);
                if (i == WARM_UP - 1) {
                    baseline = MemoryBaseline.take(modelManager);
                }
            }
            baseline.assertFlat("GenerationMemoryTest", (GENERATIONS - WARM_UP) + " generations", MAX_GROWTH_BYTES);
        }
    }
}
