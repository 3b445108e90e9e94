package io.microw.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.MicrowException;
import io.microw.io.JsonMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Reads the packed corpus, {@code brown/brown.jsonl.gz}: one JSON document per line (see its README.md). */
final class BrownCorpusReader {

    static final String RESOURCE = "/io/microw/demo/brown/brown.jsonl.gz";

    private static final ObjectMapper JSON = JsonMapper.mapper();

    private BrownCorpusReader() {
    }

    static List<BrownCorpus.Document> readResource() {
        InputStream raw = BrownCorpus.class.getResourceAsStream(RESOURCE);
        if (raw == null) {
            throw new MicrowException("the Brown corpus resource " + RESOURCE + " is missing from the classpath;"
                    + " is microw-demo's jar complete?");
        }
        List<BrownCorpus.Document> documents = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw, 1 << 16),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    documents.add(document(documents.size(), JSON.readTree(line)));
                }
            }
        } catch (IOException e) {
            throw new MicrowException("could not read the Brown corpus resource " + RESOURCE + ": " + e.getMessage(), e);
        }
        return documents;
    }

    private static BrownCorpus.Document document(int index, JsonNode node) {
        List<BrownCorpus.Sentence> sentences = new ArrayList<>();
        for (JsonNode s : node.get("sentences")) {
            sentences.add(new BrownCorpus.Sentence(strings(s.get("words"), false), strings(s.get("tags"), true),
                    s.get("text").asText()));
        }
        return new BrownCorpus.Document(index, node.get("id").asText(), node.get("genre").asText().intern(),
                List.copyOf(sentences));
    }

    private static List<String> strings(JsonNode array, boolean intern) {
        String[] out = new String[array.size()];
        for (int i = 0; i < out.length; i++) {
            String v = array.get(i).asText();
            out[i] = intern ? v.intern() : v;
        }
        return List.of(out);
    }
}
