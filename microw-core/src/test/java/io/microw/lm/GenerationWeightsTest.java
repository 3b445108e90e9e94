package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.io.HfConfig;
import io.microw.nn.Linear;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Generation on a small model decodes from weights packed for the generation (PackedWeights): its tokens must be those
 * of the model's plain forward, and a later generation must see weights changed in between.
 */
class GenerationWeightsTest {

    private static final HfConfig GPT2 = HfConfig.parse("{\"model_type\":\"gpt2\",\"vocab_size\":300,\"n_embd\":48,"
            + "\"n_layer\":2,\"n_head\":4,\"n_positions\":64}");
    private static final long[][] PROMPTS = {{3, 14, 15, 92, 65}, {2, 71, 82}, {8, 1, 8, 2, 8, 4}};

    @Test
    void greedyTokensAreThoseOfThePlainForwardBeforeAndAfterAWeightChangesInPlace() {
        try (LanguageModel lm = LanguageModel.randomInit(GPT2, 3)) {
            int n = DecodingLoop.PACK_FROM_NEW_TOKENS;
            GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(n).stopAtEos(false).build();
            long[][] first = lm.inference().generate(PROMPTS, greedy).sequences();
            for (int i = 0; i < PROMPTS.length; i++) {
                assertThat(first[i]).as("row %d", i).containsExactly(recomputed(lm, PROMPTS[i], n));
            }
            NDArray fc = ((Linear) lm.layers().module("transformer.h.1.mlp.c_fc")).weight();
            fc.muli(-3);
            long[][] second = lm.inference().generate(PROMPTS, greedy).sequences();
            for (int i = 0; i < PROMPTS.length; i++) {
                assertThat(second[i]).as("row %d after the change", i).containsExactly(recomputed(lm, PROMPTS[i], n));
            }
            assertThat(second).as("the change alters the continuations").isNotEqualTo(first);
        }
    }

    /** Greedy continuation by running the whole sequence through the plain forward at every step (no cache). */
    private static long[] recomputed(LanguageModel lm, long[] prompt, int newTokens) {
        long[] seq = prompt;
        for (int step = 0; step < newTokens; step++) {
            try (InferenceResult r = lm.inference().forward(new long[][] {seq}, null)) {
                long next = r.logits().get("0, -1, :").argMax().getLong();
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = next;
            }
        }
        return seq;
    }
}
