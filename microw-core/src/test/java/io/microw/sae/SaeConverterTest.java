package io.microw.sae;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hook names SAELens' get_gemma_2_config_from_hf and get_sparsify_config_from_disk derive from repo and path. */
class SaeConverterTest {

    @Test
    void gemmaScopeHooksFollowTheRepoKindAndTheLayerInThePath() {
        assertThat(SaeConverter.GEMMA_2.hookName("google/gemma-scope-2b-pt-res", "layer_12/width_16k/average_l0_82"))
                .isEqualTo("blocks.12.hook_resid_post");
        assertThat(SaeConverter.GEMMA_2.hookName("google/gemma-scope-2b-pt-res", "embedding/width_4k/average_l0_6"))
                .isEqualTo("hook_embed");
        assertThat(SaeConverter.GEMMA_2.hookName("google/gemma-scope-9b-pt-mlp", "layer_3/width_131k/average_l0_9"))
                .isEqualTo("blocks.3.hook_mlp_out");
        assertThat(SaeConverter.GEMMA_2.hookName("google/gemma-scope-2b-pt-att", "layer_0/width_16k/average_l0_104"))
                .isEqualTo("blocks.0.attn.hook_z");
    }

    @Test
    void sparsifyHooksComeFromTheFolderName() {
        assertThat(SaeConverter.SPARSIFY.hookName("EleutherAI/sae-llama-3-8b-32x", "layers.23"))
                .isEqualTo("blocks.23.hook_resid_post");
        assertThat(SaeConverter.SPARSIFY.hookName("EleutherAI/sae-pythia-70m-32k", "embed_tokens"))
                .isEqualTo("hook_embed");
        assertThat(SaeConverter.SAE_LENS.hookName("jbloom/GPT2-Small-SAEs-Reformatted", "blocks.0.hook_resid_pre"))
                .isEmpty();
    }

    @Test
    void filesPerConverterAreThoseSaeLensDownloads() {
        assertThat(SaeConverter.named("sae_lens", "r").files()).containsExactly("cfg.json", "sae_weights.safetensors");
        assertThat(SaeConverter.named("gemma_2", "r").files()).containsExactly("params.npz");
        assertThat(SaeConverter.named("llama_scope", "r").files())
                .containsExactly("hyperparams.json", "checkpoints/final.safetensors");
        assertThat(SaeConverter.named("dictionary_learning_1", "r").files()).containsExactly("ae.pt", "config.json");
        assertThat(SaeConverter.named("sparsify", "r").files()).containsExactly("cfg.json", "sae.safetensors");
        assertThatThrownBy(() -> SaeConverter.named("deepseek_r1", "deepseek-release"))
                .isInstanceOf(SaeException.class).hasMessageContaining("release 'deepseek-release'")
                .hasMessageContaining("'deepseek_r1'");
    }
}
