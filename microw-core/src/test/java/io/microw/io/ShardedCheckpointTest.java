package io.microw.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedCheckpointTest {

    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    @TempDir
    Path dir;

    @BeforeEach
    void writeShards() {
        new SafetensorsWriter()
                .putFloats("wte.weight", new long[] {2, 2}, new float[] {1, 2, 3, 4})
                .putFloats("h.0.ln_1.weight", new long[] {2}, new float[] {5, 6}, DType.BF16)
                .write(dir.resolve(SHARD1));
        new SafetensorsWriter()
                .putFloats("ln_f.weight", new long[] {2}, new float[] {7, 8})
                .putLongs("position_ids", new long[] {3}, new long[] {0, 1, 2})
                .write(dir.resolve(SHARD2));
    }

    private Path index(String weightMap) throws IOException {
        return Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":36},\"weight_map\":{" + weightMap + "}}");
    }

    private Path fullIndex() throws IOException {
        return index("\"wte.weight\":\"" + SHARD1 + "\",\"h.0.ln_1.weight\":\"" + SHARD1 + "\","
                + "\"ln_f.weight\":\"" + SHARD2 + "\",\"position_ids\":\"" + SHARD2 + "\"");
    }

    @Test
    void readsTensorsFromBothShards() throws IOException {
        Path index = fullIndex();
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(index)) {
            assertThat(ckpt.names()).containsExactly("wte.weight", "h.0.ln_1.weight", "ln_f.weight", "position_ids");
            assertThat(ckpt.contains("ln_f.weight")).isTrue();
            assertThat(ckpt.contains("lm_head.weight")).isFalse();
            assertThat(ckpt.readFloats("wte.weight")).containsExactly(1, 2, 3, 4);
            assertThat(ckpt.readFloats("h.0.ln_1.weight")).containsExactly(5, 6);
            assertThat(ckpt.readFloats("ln_f.weight")).containsExactly(7, 8);
            assertThat(ckpt.readLongs("position_ids")).containsExactly(0, 1, 2);
            assertThat(ckpt.info("h.0.ln_1.weight").dtype()).isEqualTo(DType.BF16);
            assertThat(ckpt.describe()).isEqualTo(index.toString());
        }
    }

    @Test
    void unknownTensorIsAnError() throws IOException {
        try (ShardedCheckpoint ckpt = ShardedCheckpoint.open(fullIndex())) {
            assertThatThrownBy(() -> ckpt.readFloats("lm_head.weight"))
                    .isInstanceOf(SafetensorsException.class)
                    .hasMessageContaining("'lm_head.weight'")
                    .hasMessageContaining("wte.weight");
        }
    }

    @Test
    void missingShardIsNamed() throws IOException {
        Path index = index("\"wte.weight\":\"" + SHARD1 + "\",\"lm_head.weight\":\"model-00003-of-00003.safetensors\"");
        assertThatThrownBy(() -> ShardedCheckpoint.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(index.toString())
                .hasMessageContaining("'model-00003-of-00003.safetensors'")
                .hasMessageContaining("'lm_head.weight'");
    }

    @Test
    void tensorMissingFromItsShard() throws IOException {
        Path index = index("\"wte.weight\":\"" + SHARD2 + "\"");
        assertThatThrownBy(() -> ShardedCheckpoint.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("'wte.weight'")
                .hasMessageContaining("'" + SHARD2 + "'")
                .hasMessageContaining("does not contain it");
    }

    @Test
    void indexWithoutWeightMap() throws IOException {
        Path index = Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{}}");
        assertThatThrownBy(() -> ShardedCheckpoint.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("weight_map");
    }

    @Test
    void invalidIndexJson() throws IOException {
        Path index = Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": ");
        assertThatThrownBy(() -> ShardedCheckpoint.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(index.toString())
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void missingIndex() {
        Path index = dir.resolve("nothing.index.json");
        assertThatThrownBy(() -> ShardedCheckpoint.open(index))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(index.toString())
                .hasMessageContaining("not found");
    }
}
