package io.microw.io;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds and opens the weights of a Hugging Face model directory: single-file or sharded safetensors. */
public final class Checkpoints {

    private Checkpoints() {
    }

    /**
     * Opens {@code model.safetensors}, else {@code model.safetensors.index.json}, in {@code modelDir}.
     *
     * @param modelDir the model directory
     * @return the single file or the sharded checkpoint; close it when done
     * @throws SafetensorsException when the directory or both checkpoint files are missing, or a file is invalid
     */
    public static WeightSource open(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new SafetensorsException("model directory " + modelDir + " does not exist or is not a directory");
        }
        Path single = modelDir.resolve("model.safetensors");
        if (Files.exists(single)) {
            return SafetensorsFile.open(single);
        }
        Path index = modelDir.resolve("model.safetensors.index.json");
        if (Files.exists(index)) {
            return ShardedCheckpoint.open(index);
        }
        boolean pytorch = Files.exists(modelDir.resolve("pytorch_model.bin"))
                || Files.exists(modelDir.resolve("pytorch_model.bin.index.json"));
        String hint = pytorch
                ? " (found pytorch_model.bin, but PyTorch pickle checkpoints are not supported; convert to safetensors)"
                : "";
        throw new SafetensorsException("no model.safetensors or model.safetensors.index.json in " + modelDir + hint);
    }
}
