package io.microw.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.io.JsonMapper;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code .jsonl}: one JSON object per non-blank line; string fields as they are, other values as JSON text. */
final class JsonlCursor extends LineCursor {

    private static final ObjectMapper JSON = JsonMapper.mapper();

    JsonlCursor(Path file) {
        super(file, false);
    }

    @Override
    Map<String, String> record(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadRowException(origin(), "the line is not valid JSON (" + e.getOriginalMessage() + "): "
                    + Texts.abbreviate(line));
        }
        if (!node.isObject()) {
            throw new BadRowException(origin(), "expected a JSON object per line, found " + node.getNodeType()
                    + ": " + Texts.abbreviate(line));
        }
        Map<String, String> record = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            record.put(field.getKey(), value.isNull() ? null : value.isValueNode() ? value.asText() : value.toString());
        }
        return record;
    }
}
