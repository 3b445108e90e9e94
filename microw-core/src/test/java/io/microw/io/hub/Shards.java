package io.microw.io.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.io.SafetensorsFile;
import io.microw.io.SafetensorsWriter;
import io.microw.io.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Splits a safetensors file into two shards plus {@code model.safetensors.index.json}, as sharded repos hold. */
final class Shards {

    private Shards() {
    }

    static Path split(Path single, Path outDir) throws IOException {
        Files.createDirectories(outDir);
        Map<String, String> weightMap = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(single)) {
            List<String> names = new ArrayList<>(file.names());
            SafetensorsWriter[] writers = {new SafetensorsWriter(), new SafetensorsWriter()};
            for (int i = 0; i < names.size(); i++) {
                int shard = i < names.size() / 2 ? 0 : 1;
                String name = names.get(i);
                TensorInfo info = file.info(name);
                ByteBuffer raw = file.rawBytes(name);
                byte[] bytes = new byte[raw.remaining()];
                raw.get(bytes);
                writers[shard].putBytes(name, info.dtype(), info.shape(), bytes);
                weightMap.put(name, "model-0000" + (shard + 1) + "-of-00002.safetensors");
            }
            writers[0].write(outDir.resolve("model-00001-of-00002.safetensors"));
            writers[1].write(outDir.resolve("model-00002-of-00002.safetensors"));
        }
        Map<String, Object> index = Map.of("metadata", Map.of("total_size", Files.size(single)), "weight_map", weightMap);
        new ObjectMapper().writeValue(outDir.resolve("model.safetensors.index.json").toFile(), index);
        return outDir;
    }
}
