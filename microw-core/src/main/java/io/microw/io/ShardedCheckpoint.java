package io.microw.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.io.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint split over several safetensors shards, described by {@code model.safetensors.index.json}
 * (its {@code weight_map} maps each tensor to a shard file in the same directory). All shards are opened
 * and cross-checked against the index on {@link #open}.
 */
final class ShardedCheckpoint implements WeightSource {

    private static final ObjectMapper MAPPER = JsonMapper.mapper();

    private final Path index;
    private final Map<String, SafetensorsFile> tensorToShard;
    private final Map<String, SafetensorsFile> shards;

    private ShardedCheckpoint(Path index, Map<String, SafetensorsFile> tensorToShard,
            Map<String, SafetensorsFile> shards) {
        this.index = index;
        this.tensorToShard = tensorToShard;
        this.shards = shards;
    }

    /**
     * Opens the index and every shard it names; a missing shard or a tensor absent from its shard is an error.
     *
     * @param indexJson the {@code model.safetensors.index.json} file; the shards are next to it
     * @return the open checkpoint; close it when done
     */
    public static ShardedCheckpoint open(Path indexJson) {
        Map<String, String> weightMap = readWeightMap(indexJson);
        Path dir = indexJson.toAbsolutePath().getParent();
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            if (!Files.isRegularFile(dir.resolve(e.getValue()))) {
                throw new SafetensorsException(indexJson + ": shard file '" + e.getValue() + "' (holding tensor '"
                        + e.getKey() + "') does not exist in " + dir);
            }
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            Map<String, SafetensorsFile> tensorToShard = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                SafetensorsFile shard = shards.computeIfAbsent(e.getValue(), s -> SafetensorsFile.open(dir.resolve(s)));
                if (!shard.contains(e.getKey())) {
                    throw new SafetensorsException(indexJson + ": weight_map puts tensor '" + e.getKey()
                            + "' in shard '" + e.getValue() + "', but that shard does not contain it ("
                            + SafetensorsFile.sampleNames(shard.names()) + ")");
                }
                tensorToShard.put(e.getKey(), shard);
            }
            return new ShardedCheckpoint(indexJson, Collections.unmodifiableMap(tensorToShard), shards);
        } catch (RuntimeException e) {
            for (SafetensorsFile shard : shards.values()) {
                shard.close();
            }
            throw e;
        }
    }

    private static Map<String, String> readWeightMap(Path indexJson) {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readAllBytes(indexJson));
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(indexJson + ": index file not found", e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(indexJson + ": index is not valid JSON: " + JsonErrors.describe(e), e);
        } catch (IOException e) {
            throw new SafetensorsException(indexJson + ": cannot read index: " + e, e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new SafetensorsException(indexJson + ": expected a JSON object with a \"weight_map\" object "
                    + "(tensor name -> shard file), got " + (weightMap == null ? "none" : weightMap.getNodeType()));
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(indexJson + ": weight_map value of '" + e.getKey()
                        + "' must be a shard file name, got " + e.getValue());
            }
            result.put(e.getKey(), e.getValue().textValue());
        }
        return result;
    }

    @Override
    public Set<String> names() {
        return tensorToShard.keySet();
    }

    @Override
    public boolean contains(String name) {
        return tensorToShard.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return shardOf(name).info(name);
    }

    @Override
    public float[] readFloats(String name) {
        return shardOf(name).readFloats(name);
    }

    @Override
    public void readFloats(String name, ByteBuffer target) {
        shardOf(name).readFloats(name, target);
    }

    @Override
    public long[] readLongs(String name) {
        return shardOf(name).readLongs(name);
    }

    @Override
    public String describe() {
        return index.toString();
    }

    @Override
    public void close() {
        for (SafetensorsFile shard : shards.values()) {
            shard.close();
        }
    }

    private SafetensorsFile shardOf(String name) {
        SafetensorsFile shard = tensorToShard.get(name);
        if (shard == null) {
            throw new SafetensorsException(index + ": no tensor '" + name + "'; "
                    + SafetensorsFile.sampleNames(names()));
        }
        return shard;
    }
}
