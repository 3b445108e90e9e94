package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.io.DType;
import io.microw.io.SafetensorsFile;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code microw bench load} on a tiny Llama shape (never TinyLlama's 1.1B parameters in tests). */
class BenchLoadCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LlamaShape TINY = new LlamaShape(32, 2, 48, 4, 2, 50);

    @TempDir
    Path dir;

    @Test
    void tinyLlamaShapeHasOnePointOneBillionParameters() {
        assertThat(LlamaShape.TINYLLAMA.parameters()).isEqualTo(1_100_048_384L);
    }

    @Test
    void theWrittenCheckpointIsValidSafetensorsThatTheLoaderReads() {
        assertThat(RandomCheckpoint.ensure(dir, TINY, 1)).isTrue();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertThat(f.names()).hasSize(TINY.tensors().size());
            assertThat(f.info("model.layers.1.self_attn.k_proj.weight").shape()).containsExactly(16, 32);
            assertThat(f.info("lm_head.weight").dtype()).isEqualTo(DType.F32);
            assertThat(f.readFloats("model.norm.weight")).containsOnly(1f);
            float[] q = f.readFloats("model.layers.0.self_attn.q_proj.weight");
            double sumSquares = 0;
            for (float v : q) {
                assertThat(Math.abs(v)).isLessThanOrEqualTo(0.0347f);
                sumSquares += v * v;
            }
            assertThat(Math.sqrt(sumSquares / q.length)).isBetween(0.015, 0.025);
        }
        try (LanguageModel lm = LanguageModel.load(dir)) {
            assertThat(lm.config().numLayers()).isEqualTo(2);
            assertThat(lm.config().vocabSize()).isEqualTo(50);
        }
    }

    @Test
    void aValidCheckpointIsKeptAndABrokenOneRewritten() throws Exception {
        assertThat(RandomCheckpoint.ensure(dir, TINY, 1)).isTrue();
        assertThat(RandomCheckpoint.ensure(dir, TINY, 1)).isFalse();
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        assertThat(RandomCheckpoint.isValid(dir, TINY)).isFalse();
        assertThat(RandomCheckpoint.ensure(dir, TINY, 1)).isTrue();
        assertThat(RandomCheckpoint.isValid(dir, new LlamaShape(32, 3, 48, 4, 2, 50))).isFalse();
    }

    @Test
    void tinyRunReportsWeightsTimesAndMemory() throws Exception {
        CliRun run = CliRun.of("bench", "load", "--dir", dir.toString(), "--hidden", "32", "--layers", "2",
                "--intermediate", "48", "--heads", "4", "--kv-heads", "2", "--vocab", "50", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode m = JSON.readTree(run.out().strip());
        long params = TINY.parameters();
        assertThat(m.path("parameters").asLong()).isEqualTo(params);
        assertThat(m.path("weights_bytes").asLong()).isEqualTo(4 * params);
        assertThat(m.path("first_token_s").asDouble()).isGreaterThanOrEqualTo(m.path("load_s").asDouble());
        assertThat(m.path("peak_rss_bytes").asLong()).isGreaterThan(m.path("weights_bytes").asLong());
        assertThat(m.path("peak_rss_over_weights").asDouble())
                .isCloseTo((double) m.path("peak_rss_bytes").asLong() / (4 * params),
                        org.assertj.core.api.Assertions.within(0.01));
        assertThat(run.err()).contains("wrote the checkpoint");
    }

    @Test
    void inconsistentHeadsAreAUsageError() {
        CliRun bad = CliRun.of("bench", "load", "--dir", dir.toString(), "--hidden", "30", "--heads", "4");
        assertThat(bad.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(bad.err()).contains("heads must divide the hidden size");
    }

    @Test
    void statusFieldsAreReadInBytes() {
        assertThat(ProcessMemory.parse(java.util.List.of("Name: java", "VmHWM:\t  1234 kB"), "VmHWM:"))
                .hasValue(1234 * 1024L);
        assertThat(ProcessMemory.parse(java.util.List.of("Name: java"), "VmRSS:")).isEmpty();
    }
}
