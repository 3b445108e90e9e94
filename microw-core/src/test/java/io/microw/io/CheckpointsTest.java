package io.microw.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {

    @TempDir
    Path dir;

    @Test
    void opensSingleFile() {
        new SafetensorsWriter().putFloats("w", new long[] {1}, new float[] {3}).write(dir.resolve("model.safetensors"));
        try (WeightSource ws = Checkpoints.open(dir)) {
            assertThat(ws).isInstanceOf(SafetensorsFile.class);
            assertThat(ws.readFloats("w")).containsExactly(3f);
        }
    }

    @Test
    void opensShardedIndex() throws IOException {
        new SafetensorsWriter().putFloats("w", new long[] {1}, new float[] {3}).write(dir.resolve("s1.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{\"w\":\"s1.safetensors\"}}");
        try (WeightSource ws = Checkpoints.open(dir)) {
            assertThat(ws).isInstanceOf(ShardedCheckpoint.class);
            assertThat(ws.readFloats("w")).containsExactly(3f);
        }
    }

    @Test
    void noWeightsIsAnError() {
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("no model.safetensors or model.safetensors.index.json in " + dir)
                .hasMessageNotContaining("pytorch_model.bin");
    }

    @Test
    void pytorchCheckpointIsNamedAsUnsupported() throws IOException {
        Files.write(dir.resolve("pytorch_model.bin"), new byte[] {1});
        assertThatThrownBy(() -> Checkpoints.open(dir))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("pytorch_model.bin")
                .hasMessageContaining("not supported");
    }

    @Test
    void missingDirectory() {
        Path missing = dir.resolve("gpt2");
        assertThatThrownBy(() -> Checkpoints.open(missing))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(missing.toString());
    }
}
