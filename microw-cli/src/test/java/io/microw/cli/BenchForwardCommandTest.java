package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.models.ModelConfig;
import io.microw.io.HfConfig;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BenchForwardCommandTest {

    @Test
    void tinyRunPrintsOneJsonLinePerWorkloadAndASummary() throws Exception {
        CliRun run = CliRun.of("bench", "forward", "--model", "brown-gpt2", "--reps", "2", "--warmup", "1",
                "--batch", "2", "--seq", "16", "--breakdown", "--no-peer");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String first = run.out().lines().findFirst().orElseThrow();
        JsonNode json = new ObjectMapper().readTree(first);
        assertThat(json.get("workload").asText()).isEqualTo("forward");
        assertThat(json.get("model").asText()).startsWith("brown-gpt2");
        assertThat(json.get("batch").asInt()).isEqualTo(2);
        assertThat(json.get("seq").asInt()).isEqualTo(16);
        assertThat(json.get("tokens_per_s").asDouble()).isPositive();
        assertThat(json.get("tokens_per_s_no_hook").asDouble()).isPositive();
        assertThat(json.get("hook_layer").asText()).isEqualTo("transformer.h.2");
        assertThat(json.has("hook_overhead_pct")).isTrue();
        assertThat(json.get("calib_gflops").asDouble()).isPositive();
        assertThat(json.has("peer_torch")).isFalse();
        assertThat(run.out()).contains("Forward throughput", "with hook", "no hook");
        assertThat(run.out()).contains("Where a forward's time goes", "transformer.h.N.mlp.act", "lm_head");
    }

    @Test
    void theLlamaShapeIsPairedWithThePeersLlamaWorkload() {
        assertThat(BenchForwardCommand.peerWorkloads(List.of(ForwardWorkload.BROWN_GPT2, ForwardWorkload.TINYLLAMA)))
                .containsExactly("forward", "llama");
        assertThat(BenchForwardCommand.peerWorkloads(List.of(ForwardWorkload.TINYLLAMA))).containsExactly("llama");
        assertThat(BenchForwardCommand.peerWorkloads(List.of(ForwardWorkload.GPT2_SMALL))).containsExactly("forward");
    }

    @Test
    void badWorkloadIsUsageError() {
        CliRun run = CliRun.of("bench", "forward", "--model", "gpt5");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("unknown workload 'gpt5'");
    }

    @Test
    void sequenceLongerThanTheContextIsUsageError() {
        CliRun run = CliRun.of("bench", "forward", "--model", "brown-gpt2", "--seq", "300", "--reps", "1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--seq 300 exceeds brown-gpt2's context of 256");
    }

    @Test
    void flopCountMatchesThePeers() {
        // torch_ref.py: params without wpe (ln_f and tied lm_head included); gpt2-small has 124,439,808 params
        // with wpe (1024 x 768), so 123,653,376 without.
        try (LanguageModel lm = LanguageModel.randomInit(HfConfig.parse("{\"model_type\": \"gpt2\", \"n_layer\": 1, "
                + "\"n_embd\": 8, \"n_head\": 2, \"vocab_size\": 10, \"n_positions\": 4}"), 0)) {
            ModelConfig c = lm.config();
            double params = 10 * 8 + (12 * 64 + 13 * 8) + 2 * 8;
            assertThat(ForwardBenchmark.gflopPerForward(c, 1, 1)).isCloseTo((2 * params + 4 * 8) / 1e9, within(1e-15));
        }
        double d = 768;
        double gpt2SmallParams = 50257 * d + 12 * (12 * d * d + 13 * d) + 2 * d;
        assertThat(gpt2SmallParams).isEqualTo(124_439_808 - 1024 * 768);
    }

    @Test
    void llamaFlopCountMatchesThePeers() {
        // torch_ref.py llama: params without the embedding (norms and the untied head included): TinyLlama's shape
        // has 22 x 44,044,288 + 2,048 + 32,000 x 2,048 = 1,034,512,384 of them.
        HfConfig tiny = HfConfig.parse("{\"model_type\": \"llama\", \"num_hidden_layers\": 22, \"hidden_size\": 2048, "
                + "\"num_attention_heads\": 32, \"num_key_value_heads\": 4, \"intermediate_size\": 5632, "
                + "\"vocab_size\": 32000, \"max_position_embeddings\": 2048}");
        ModelConfig c = io.microw.models.LlamaConfig.from(tiny);
        assertThat(ForwardBenchmark.gflopPerForward(c, 1, 128)).isCloseTo(2.0 * 1_034_512_384 * 128 / 1e9, within(1e-9));
    }
}
