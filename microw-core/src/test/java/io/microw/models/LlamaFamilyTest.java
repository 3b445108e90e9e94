package io.microw.models;

import io.microw.io.HfConfig;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The Llama-like families built from small configs with random weights ({@link LanguageModel#randomInit}): shapes
 * from the config, the per-type module trees, the alias table, sliding windows, and cached generation against
 * full recomputation.
 */
class LlamaFamilyTest {

    private static final long[][] IDS = {{1, 5, 9, 200, 299, 0, 17, 42}};

    private static HfConfig config(String type, String extra) {
        return HfConfig.parse("{\"model_type\":\"" + type + "\",\"vocab_size\":300,\"hidden_size\":48,"
                + "\"intermediate_size\":80,\"num_hidden_layers\":3,\"num_attention_heads\":6,"
                + "\"num_key_value_heads\":2,\"max_position_embeddings\":64" + extra + "}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2", "qwen3", "phi3"})
    void randomInitBuildsEveryType(String type) {
        String extra = type.equals("qwen3") ? ",\"head_dim\":12" : "";
        try (LanguageModel lm = LanguageModel.randomInit(config(type, extra), 3);
             InferenceResult r = lm.inference().forward(IDS, null)) {
            assertThat(r.logits().getShape().getShape()).containsExactly(1, 8, 300);
            float[] logits = r.logits().toFloatArray();
            for (float v : logits) {
                assertThat(Float.isFinite(v)).isTrue();
            }
            assertThat(lm.module().typeName()).isEqualTo(lm.config().architecture()).endsWith("ForCausalLM");
            assertThat(lm.layers().names()).contains("model.embed_tokens", "model.layers.2.mlp.down_proj",
                    "model.norm", "model.rotary_emb", "lm_head", "model.layers.2.self_attn.hook_pattern");
            String block = "model.layers.1";
            assertThat(lm.layers().resolve("blocks.1.hook_resid_post")).isEqualTo(block + ".hook_resid_post");
            assertThat(lm.layers().resolve("blocks.1.ln1")).isEqualTo(block + ".input_layernorm");
            assertThat(lm.layers().resolve("blocks.1.hook_attn_out")).isEqualTo(block + ".self_attn");
            assertThat(lm.layers().resolve("unembed")).isEqualTo("lm_head");
            assertThat(lm.layers().resolve("ln_final.hook_normalized")).isEqualTo("model.norm");
            boolean fused = type.equals("phi3");
            assertThat(lm.layers().names().contains(block + ".self_attn.qkv_proj")).isEqualTo(fused);
            assertThat(lm.layers().names().contains(block + ".self_attn.q_proj")).isEqualTo(!fused);
            assertThat(lm.layers().names().contains(block + ".mlp.gate_up_proj")).isEqualTo(fused);
            assertThat(lm.layers().names().contains(block + ".self_attn.q_norm")).isEqualTo(type.equals("qwen3"));
            assertThat(lm.layers().resolve("blocks.1.mlp.hook_post"))
                    .isEqualTo(block + (fused ? ".mlp.activation_fn" : ".mlp.act_fn"));
        }
    }

    @Test
    void shapesAndFlagsComeFromTheConfig() {
        LlamaConfig qwen2 = LlamaConfig.from(config("qwen2", ""));
        assertThat(qwen2.headDim()).isEqualTo(8);
        assertThat(qwen2.kvGroups()).isEqualTo(3);
        assertThat(qwen2.qkvBias()).isTrue();
        assertThat(qwen2.outputBias()).isFalse();
        assertThat(qwen2.layerWindows()).containsExactly(0, 0, 0);
        LlamaConfig qwen3 = LlamaConfig.from(config("qwen3", ""));
        assertThat(qwen3.headDim()).as("Qwen3Config's default head_dim").isEqualTo(128);
        assertThat(qwen3.variant().qkNorm()).isTrue();
        assertThat(qwen3.qkvBias()).isFalse();
        LlamaConfig llama = LlamaConfig.from(config("llama", ",\"attention_bias\":true,\"mlp_bias\":true,"
                + "\"tie_word_embeddings\":true,\"rms_norm_eps\":1e-5"));
        assertThat(llama.qkvBias()).isTrue();
        assertThat(llama.outputBias()).isTrue();
        assertThat(llama.mlpBias()).isTrue();
        assertThat(llama.tieWordEmbeddings()).isTrue();
        assertThat(llama.rmsNormEps()).isEqualTo(1e-5);
        assertThat(LlamaConfig.from(config("mistral", "")).layerWindows()).as("MistralConfig's default window")
                .containsExactly(4096, 4096, 4096);
        assertThat(LlamaConfig.from(config("mistral", ",\"sliding_window\":null")).layerWindows())
                .containsExactly(0, 0, 0);
        assertThat(LlamaConfig.from(config("qwen2", ",\"use_sliding_window\":true,\"sliding_window\":16,"
                + "\"max_window_layers\":1")).layerWindows()).containsExactly(0, 16, 16);
        assertThat(LlamaConfig.from(config("qwen3", ",\"use_sliding_window\":true,\"sliding_window\":16,"
                + "\"layer_types\":[\"sliding_attention\",\"full_attention\",\"sliding_attention\"]"))
                .layerWindows()).containsExactly(16, 0, 16);
        LlamaConfig phi3 = LlamaConfig.from(config("phi3", ",\"partial_rotary_factor\":0.5"));
        assertThat(phi3.variant().fusedProjections()).isTrue();
        assertThat(phi3.rope().rotaryDim()).isEqualTo(4);
        assertThat(phi3.rmsNormEps()).isEqualTo(1e-5);
        assertThat(phi3.layerWindows()).containsExactly(0, 0, 0);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void tiedHeadUsesTheEmbeddingTable(boolean tied) {
        try (LanguageModel lm = LanguageModel.randomInit(config("qwen2", ",\"tie_word_embeddings\":" + tied), 1)) {
            RecordingDetector embed = new RecordingDetector("hook_embed");
            RecordingDetector norm = new RecordingDetector("ln_final");
            lm.layers().registerHook("hook_embed", embed);
            lm.layers().registerHook("ln_final", norm);
            try (InferenceResult r = lm.inference().forward(IDS, null)) {
                float[] logits = r.logits().toFloatArray();
                float[] hidden = norm.outputs.get(0);
                float[] rows = embed.outputs.get(0);
                double maxDiff = 0;
                for (int j = 0; j < IDS[0].length; j++) {
                    double dot = 0;
                    for (int d = 0; d < 48; d++) {
                        dot += hidden[d] * rows[j * 48 + d];
                    }
                    maxDiff = Math.max(maxDiff, Math.abs(dot - logits[(int) IDS[0][j]]));
                }
                if (tied) {
                    assertThat(maxDiff).isLessThan(1e-5);
                } else {
                    assertThat(maxDiff).isGreaterThan(1e-5);
                }
            }
        }
    }

    /**
     * With one layer and a window of 3, the last position sees only the last 3 tokens; rotary depends on relative
     * positions only, so running those 3 tokens alone gives the same last-position logits.
     */
    @Test
    void slidingWindowHidesKeysOutsideTheWindow() {
        HfConfig windowed = HfConfig.parse("{\"model_type\":\"mistral\",\"vocab_size\":300,\"hidden_size\":48,"
                + "\"intermediate_size\":80,\"num_hidden_layers\":1,\"num_attention_heads\":6,"
                + "\"num_key_value_heads\":1,\"max_position_embeddings\":64,\"sliding_window\":3}");
        long[][] tail = {Arrays.copyOfRange(IDS[0], 5, 8)};
        try (LanguageModel lm = LanguageModel.randomInit(windowed, 5);
             InferenceResult full = lm.inference().forward(IDS, null);
             InferenceResult last3 = lm.inference().forward(tail, null)) {
            float[] a = full.logits().get("0, 7, :").toFloatArray();
            float[] b = last3.logits().get("0, 2, :").toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i]).isCloseTo(b[i], within(1e-4f));
            }
        }
        try (LanguageModel lm = LanguageModel.randomInit(config("mistral", ",\"sliding_window\":null"), 5);
             InferenceResult full = lm.inference().forward(IDS, null);
             InferenceResult last3 = lm.inference().forward(tail, null)) {
            assertThat(full.logits().get("0, 7, :").toFloatArray())
                    .isNotEqualTo(last3.logits().get("0, 2, :").toFloatArray());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "phi3"})
    void cachedGreedyGenerationEqualsRecomputingTheWholeSequence(String type) {
        try (LanguageModel lm = LanguageModel.randomInit(config(type, ",\"head_dim\":8"), 11)) {
            long[][] prompt = {{3, 14, 15, 92, 65}};
            GenerationResult cached = lm.inference().generate(prompt, GenerationConfig.builder().maxNewTokens(6)
                    .stopAtEos(false).build());
            long[] seq = prompt[0];
            for (int step = 0; step < 6; step++) {
                try (InferenceResult r = lm.inference().forward(new long[][] {seq}, null)) {
                    long next = r.logits().get("0, -1, :").argMax().getLong();
                    seq = Arrays.copyOf(seq, seq.length + 1);
                    seq[seq.length - 1] = next;
                }
            }
            assertThat(cached.sequences()[0]).containsExactly(seq);
        }
    }
}
