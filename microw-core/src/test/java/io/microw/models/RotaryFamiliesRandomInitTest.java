package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.lm.GenerationConfig;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Gemma, Gemma 2 and GPT-NeoX built from configs unlike the fixtures' (other head counts, an explicit head_dim
 * that is not hidden/heads, the older sliding-layer rule, the sequential NeoX residual, legacy rotary keys):
 * shapes, determinism, aliases, residual arithmetic, sliding windows and KV-cached generation.
 */
class RotaryFamiliesRandomInitTest {

    private static final long[][] IDS = {{1, 5, 9, 200, 299, 0, 17, 42}};
    private static final int SEQ = IDS[0].length;

    /** name, config, heads, kv heads, head dim, HF class. */
    record Case(String name, String json, int heads, int kvHeads, int headDim, String architecture) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case("gemma", "{\"model_type\":\"gemma\",\"vocab_size\":300,\"hidden_size\":48,"
                        + "\"num_hidden_layers\":3,\"num_attention_heads\":6,\"num_key_value_heads\":2,\"head_dim\":12,"
                        + "\"intermediate_size\":80,\"max_position_embeddings\":64,\"hidden_act\":\"gelu_pytorch_tanh\","
                        + "\"initializer_range\":0.2}", 6, 2, 12, "GemmaForCausalLM"),
                new Case("gemma2", "{\"model_type\":\"gemma2\",\"vocab_size\":300,\"hidden_size\":40,"
                        + "\"num_hidden_layers\":3,\"num_attention_heads\":4,\"num_key_value_heads\":1,\"head_dim\":8,"
                        + "\"intermediate_size\":64,\"max_position_embeddings\":64,\"query_pre_attn_scalar\":10,"
                        + "\"sliding_window\":3,\"attn_logit_softcapping\":20.0,\"final_logit_softcapping\":10.0,"
                        + "\"tie_word_embeddings\":false,\"initializer_range\":0.2}", 4, 1, 8, "Gemma2ForCausalLM"),
                new Case("gpt_neox sequential", "{\"model_type\":\"gpt_neox\",\"vocab_size\":300,\"hidden_size\":48,"
                        + "\"num_hidden_layers\":3,\"num_attention_heads\":3,\"intermediate_size\":96,"
                        + "\"max_position_embeddings\":64,\"rotary_pct\":0.5,\"rotary_emb_base\":5000,"
                        + "\"use_parallel_residual\":false,\"hidden_act\":\"gelu\",\"initializer_range\":0.2}",
                        3, 3, 16, "GPTNeoXForCausalLM"),
                new Case("gpt_neox parallel tied", "{\"model_type\":\"gpt_neox\",\"vocab_size\":300,\"hidden_size\":32,"
                        + "\"num_hidden_layers\":2,\"num_attention_heads\":8,\"intermediate_size\":64,"
                        + "\"max_position_embeddings\":64,\"rope_parameters\":{\"rope_type\":\"default\","
                        + "\"rope_theta\":10000.0,\"partial_rotary_factor\":0.5},\"tie_word_embeddings\":true,"
                        + "\"initializer_range\":0.2}", 8, 8, 4, "GPTNeoXForCausalLM"));
    }

    private static LanguageModel model(Case c, long seed) {
        return LanguageModel.randomInit(HfConfig.parse(c.json()), seed);
    }

    private static float[] logits(Case c, long seed) {
        try (LanguageModel lm = model(c, seed);
             InferenceResult r = lm.inference().forward(IDS, null)) {
            assertThat(r.logits().getShape().getShape()).containsExactly(1, SEQ, 300);
            return r.logits().toFloatArray();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameSeedSameModelOtherSeedOtherModel(Case c) {
        assertThat(logits(c, 3)).containsExactly(logits(c, 3));
        assertThat(logits(c, 3)).isNotEqualTo(logits(c, 4));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void classNamesAndEveryAliasResolveToAModule(Case c) {
        try (LanguageModel lm = model(c, 1)) {
            assertThat(lm.config().architecture()).isEqualTo(c.architecture());
            assertThat(lm.module().typeName()).isEqualTo(c.architecture());
            for (Map.Entry<String, String> e : lm.module().aliases().entrySet()) {
                assertThat(lm.layers().names()).as(e.getKey()).contains(e.getValue());
            }
            int last = lm.config().numLayers() - 1;
            assertThat(lm.layers().resolve("blocks." + last + ".hook_resid_post"))
                    .isEqualTo(lm.module().blockName(last) + ".hook_resid_post");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void attentionHooksHavePerHeadShapes(Case c) {
        try (LanguageModel lm = model(c, 1)) {
            Map<String, long[]> expected = Map.of(
                    "blocks.1.attn.hook_q", new long[] {1, SEQ, c.heads(), c.headDim()},
                    "blocks.1.attn.hook_k", new long[] {1, SEQ, c.kvHeads(), c.headDim()},
                    "blocks.1.attn.hook_v", new long[] {1, SEQ, c.kvHeads(), c.headDim()},
                    "blocks.1.attn.hook_z", new long[] {1, SEQ, c.heads(), c.headDim()},
                    "blocks.1.attn.hook_pattern", new long[] {1, c.heads(), SEQ, SEQ});
            Map<String, RecordingDetector> detectors = new java.util.HashMap<>();
            expected.keySet().forEach(name -> {
                RecordingDetector d = new RecordingDetector(name);
                lm.layers().registerHook(name, d);
                detectors.put(name, d);
            });
            try (InferenceResult ignored = lm.inference().forward(IDS, null)) {
                expected.forEach((name, shape) ->
                        assertThat(detectors.get(name).outputShapes.get(0)).as(name).containsExactly(shape));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void greedyGenerationWithKvCacheMatchesFullForwards(Case c) {
        try (LanguageModel lm = model(c, 5)) {
            long[][] prompt = {{3, 14, 15, 92}};
            long[] out = lm.inference().generate(prompt, GenerationConfig.builder().maxNewTokens(6).stopAtEos(false)
                    .build()).sequences()[0];
            assertThat(out).hasSize(10);
            long[][] all = {out};
            try (InferenceResult r = lm.inference().forward(all, null)) {
                float[] logits = r.logits().toFloatArray();
                for (int pos = prompt[0].length - 1; pos < out.length - 1; pos++) {
                    assertThat((long) argmax(logits, pos * 300, 300)).as("token after position " + pos)
                            .isEqualTo(out[pos + 1]);
                }
            }
        }
    }

    private static int argmax(float[] values, int from, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (values[from + i] > values[from + best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void gemma2SlidesOnEvenLayersWithoutLayerTypes() {
        Case c = cases().get(1);
        try (LanguageModel lm = model(c, 1)) {
            RecordingDetector sliding = new RecordingDetector("blocks.0.attn.hook_pattern");
            RecordingDetector full = new RecordingDetector("blocks.1.attn.hook_pattern");
            lm.layers().registerHook(sliding.layerSignature(), sliding);
            lm.layers().registerHook(full.layerSignature(), full);
            try (InferenceResult ignored = lm.inference().forward(IDS, null)) {
                int last = SEQ - 1;
                float[] s = sliding.outputs.get(0);
                float[] f = full.outputs.get(0);
                // head 0, last query: window 3 sees keys last-2..last only
                assertThat(s[last * SEQ]).isEqualTo(0f);
                assertThat(s[last * SEQ + last - 3]).isEqualTo(0f);
                assertThat(s[last * SEQ + last - 2]).isGreaterThan(0f);
                assertThat(f[last * SEQ]).isGreaterThan(0f);
            }
        }
    }

    @Test
    void gemma2FinalSoftcapBoundsLogitsAfterLmHead() {
        Case c = cases().get(1);
        try (LanguageModel lm = model(c, 1)) {
            RecordingDetector head = new RecordingDetector("unembed");
            lm.layers().registerHook(head.layerSignature(), head);
            try (InferenceResult r = lm.inference().forward(IDS, null)) {
                float[] capped = r.logits().toFloatArray();
                float[] raw = head.outputs.get(0);
                for (int i = 0; i < capped.length; i++) {
                    assertThat(capped[i]).isCloseTo((float) (10 * Math.tanh(raw[i] / 10.0)), within(1e-5f));
                }
            }
        }
    }

    @Test
    void neoxSequentialResidualAddsAttentionThenMlp() {
        Case c = cases().get(2);
        try (LanguageModel lm = model(c, 1)) {
            Map<String, RecordingDetector> d = record(lm, "blocks.1.hook_resid_pre", "blocks.1.hook_attn_out",
                    "blocks.1.hook_resid_mid", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post");
            try (InferenceResult ignored = lm.inference().forward(IDS, null)) {
                assertSum(d, "blocks.1.hook_resid_mid", "blocks.1.hook_resid_pre", "blocks.1.hook_attn_out");
                assertSum(d, "blocks.1.hook_resid_post", "blocks.1.hook_resid_mid", "blocks.1.hook_mlp_out");
            }
        }
    }

    @Test
    void neoxParallelResidualHasNoResidMid() {
        Case c = cases().get(3);
        try (LanguageModel lm = model(c, 1)) {
            assertThat(lm.layers().names()).noneMatch(n -> n.endsWith("hook_resid_mid"));
            assertThatThrownBy(() -> lm.layers().resolve("blocks.0.hook_resid_mid")).isInstanceOf(RuntimeException.class);
            Map<String, RecordingDetector> d = record(lm, "blocks.1.hook_resid_pre", "blocks.1.hook_attn_out",
                    "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post");
            try (InferenceResult ignored = lm.inference().forward(IDS, null)) {
                float[] pre = d.get("blocks.1.hook_resid_pre").outputs.get(0);
                float[] attn = d.get("blocks.1.hook_attn_out").outputs.get(0);
                float[] mlp = d.get("blocks.1.hook_mlp_out").outputs.get(0);
                float[] post = d.get("blocks.1.hook_resid_post").outputs.get(0);
                for (int i = 0; i < post.length; i++) {
                    assertThat(post[i]).isCloseTo(pre[i] + attn[i] + mlp[i], within(1e-4f));
                }
            }
        }
    }

    private static Map<String, RecordingDetector> record(LanguageModel lm, String... layers) {
        Map<String, RecordingDetector> out = new java.util.HashMap<>();
        for (String layer : layers) {
            RecordingDetector d = new RecordingDetector(layer);
            lm.layers().registerHook(layer, d);
            out.put(layer, d);
        }
        return out;
    }

    private static void assertSum(Map<String, RecordingDetector> d, String sum, String a, String b) {
        float[] s = d.get(sum).outputs.get(0);
        float[] x = d.get(a).outputs.get(0);
        float[] y = d.get(b).outputs.get(0);
        for (int i = 0; i < s.length; i++) {
            assertThat(s[i]).as(sum + "[" + i + "]").isCloseTo(x[i] + y[i], within(1e-4f));
        }
    }

    @Test
    void badHeadSplitsAreClearErrors() {
        assertThatThrownBy(() -> model(new Case("bad", "{\"model_type\":\"gemma\",\"vocab_size\":30,\"hidden_size\":16,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":3,\"num_key_value_heads\":2,\"head_dim\":4,"
                + "\"intermediate_size\":8}", 0, 0, 0, ""), 1))
                .hasMessageContaining("num_key_value_heads");
        assertThatThrownBy(() -> model(new Case("bad", "{\"model_type\":\"gpt_neox\",\"vocab_size\":30,\"hidden_size\":16,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":3}", 0, 0, 0, ""), 1))
                .hasMessageContaining("not divisible by num_attention_heads 3");
    }
}
