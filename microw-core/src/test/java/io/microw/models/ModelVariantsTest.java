package io.microw.models;

import io.microw.io.HfConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.OptionalDouble;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each model type is described by its variant row, and each row says what transformers' modeling and config classes
 * do. The expected values below are written from the transformers sources (modeling_llama.py, modeling_mistral.py,
 * modeling_qwen2.py, modeling_qwen3.py, modeling_phi3.py, modeling_gemma.py, modeling_gemma2.py and their
 * configuration_*.py), not computed by microw.
 */
class ModelVariantsTest {

    /**
     * Bias columns: {@code on}/{@code off} when the modeling code fixes {@code bias=}, else the config key it reads.
     * llama: q/k/v/o_proj bias=config.attention_bias, MLP bias=config.mlp_bias. mistral: no biases, sliding_window
     * 4096. qwen2: q/k/v_proj bias=True, o_proj bias=False, use_sliding_window with sliding_window 4096. qwen3:
     * q/k/v/o_proj bias=config.attention_bias, q_norm/k_norm, head_dim 128. phi3: qkv_proj, o_proj, gate_up_proj
     * without bias, rms_norm_eps 1e-5, sliding_window None.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(useHeadersInDisplayName = false, textBlock = """
            # type,  prefix,  qkvBias,        outputBias,     mlpBias,  qkNorm, fused, headDim, eps,  windows,                 window
            llama,   Llama,   attention_bias, attention_bias, mlp_bias, false,  false, 0,       1e-6, EVERY_LAYER,             0
            mistral, Mistral, off,            off,            off,      false,  false, 0,       1e-6, EVERY_LAYER,             4096
            qwen2,   Qwen2,   on,             off,            off,      false,  false, 0,       1e-6, WHEN_USE_SLIDING_WINDOW, 4096
            qwen3,   Qwen3,   attention_bias, attention_bias, off,      true,   false, 128,     1e-6, WHEN_USE_SLIDING_WINDOW, 4096
            phi3,    Phi3,    off,            off,            off,      false,  true,  0,       1e-5, EVERY_LAYER,             0
            """)
    void llamaLikeRowsMatchTransformers(String type, String prefix, String qkvBias, String outputBias, String mlpBias,
                                        boolean qkNorm, boolean fused, int headDim, double eps, String windows,
                                        int window) {
        LlamaVariant v = LlamaVariant.of("test", type);
        assertThat(v.modelType()).isEqualTo(type);
        assertThat(v.classPrefix()).isEqualTo(prefix);
        assertThat(v.qkvBias()).as("qkv bias").isEqualTo(flag(qkvBias));
        assertThat(v.outputBias()).as("o_proj bias").isEqualTo(flag(outputBias));
        assertThat(v.mlpBias()).as("mlp bias").isEqualTo(flag(mlpBias));
        assertThat(v.qkNorm()).as("q/k norm").isEqualTo(qkNorm);
        assertThat(v.fusedProjections()).as("fused").isEqualTo(fused);
        assertThat(v.defaultHeadDim()).as("head_dim default").isEqualTo(headDim);
        assertThat(v.defaultRmsNormEps()).as("rms_norm_eps default").isEqualTo(eps);
        assertThat(v.slidingWindows()).hasToString(windows);
        assertThat(v.defaultSlidingWindow()).as("sliding_window default").isEqualTo(window);
    }

    private static ConfigFlag flag(String text) {
        return switch (text) {
            case "on" -> new ConfigFlag(null, true);
            case "off" -> new ConfigFlag(null, false);
            default -> new ConfigFlag(text, false);
        };
    }

    /**
     * gemma: pre-norm only, scores scaled by head_dim^-0.5, no soft caps, no sliding window. gemma2: sandwich norms,
     * attn_logit_softcapping 50.0, final_logit_softcapping 30.0, query_pre_attn_scalar 256, sliding_window 4096.
     */
    @Test
    void gemmaRowsMatchTransformers() {
        assertThat(GemmaVariant.of("test", "gemma")).isEqualTo(new GemmaVariant("gemma", "Gemma",
                GemmaVariant.NormPlacement.PRE, OptionalDouble.empty(), OptionalDouble.empty(), OptionalDouble.empty(),
                OptionalInt.empty()));
        assertThat(GemmaVariant.of("test", "gemma2")).isEqualTo(new GemmaVariant("gemma2", "Gemma2",
                GemmaVariant.NormPlacement.SANDWICH, OptionalDouble.of(50), OptionalDouble.of(30),
                OptionalDouble.of(256), OptionalInt.of(4096)));
    }

    @Test
    void everyTableRowIsAModelTypeItsFamilyBuilds() {
        assertThat(LlamaVariant.TABLE).extracting(LlamaVariant::modelType)
                .containsExactly("llama", "mistral", "qwen2", "qwen3", "phi3");
        assertThat(ModelFamilies.forModelType("phi3")).isInstanceOf(Llama.class);
        assertThat(new Llama().modelTypes()).containsExactly("llama", "mistral", "qwen2", "qwen3", "phi3");
        assertThat(new Gemma().modelTypes()).containsExactly("gemma", "gemma2");
    }

    /** The row's rules applied to one config: a flag read from a key follows it, a fixed one ignores it. */
    @Test
    void configFlagsFollowTheRowsRule() {
        String biased = ",\"attention_bias\":true";
        LlamaConfig llama = LlamaConfig.from(config("llama", biased));
        assertThat(llama.qkvBias()).isTrue();
        assertThat(llama.outputBias()).isTrue();
        LlamaConfig qwen2 = LlamaConfig.from(config("qwen2", biased));
        assertThat(qwen2.qkvBias()).isTrue();
        assertThat(qwen2.outputBias()).as("Qwen2's o_proj never has a bias").isFalse();
        LlamaConfig mistral = LlamaConfig.from(config("mistral", biased + ",\"mlp_bias\":true"));
        assertThat(mistral.qkvBias()).isFalse();
        assertThat(mistral.mlpBias()).isFalse();
        assertThat(LlamaConfig.from(config("llama", "")).qkvBias()).isFalse();
        assertThat(qwen2.architecture()).isEqualTo("Qwen2ForCausalLM");
        assertThat(qwen2.classPrefix()).isEqualTo("Qwen2");
    }

    @Test
    void unknownModelTypeNamesTheValueAndTheKnownOnes() {
        assertThatThrownBy(() -> LlamaConfig.from(config("gemma2", "")))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'gemma2'")
                .hasMessageContaining("[llama, mistral, qwen2, qwen3, phi3]");
        assertThatThrownBy(() -> GemmaConfig.from(config("qwen3", "")))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'qwen3'")
                .hasMessageContaining("[gemma, gemma2]");
        assertThatThrownBy(() -> ModelFamilies.forModelType("mamba"))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("'mamba'")
                .hasMessageContaining("phi3")
                .hasMessageContaining("gpt_neox");
    }

    private static HfConfig config(String type, String extra) {
        return HfConfig.parse("{\"model_type\":\"" + type + "\",\"vocab_size\":300,\"hidden_size\":48,"
                + "\"intermediate_size\":80,\"num_hidden_layers\":2,\"num_attention_heads\":6,"
                + "\"num_key_value_heads\":2,\"max_position_embeddings\":64" + extra + "}");
    }
}
