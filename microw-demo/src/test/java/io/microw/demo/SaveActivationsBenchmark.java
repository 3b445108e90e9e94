package io.microw.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.store.LocalStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Tokens per second of saving one block's output of brown-gpt2 against the forward alone over the same Brown
 * training sentences, interleaved in rounds. Runs only when asked:
 * {@code mvn -pl microw-core,microw-demo test -Dtest=SaveActivationsBenchmark -Dmicrow.bench=true
 * [-Dmicrow.bench.sentences=4000]}; the corpus is read from {@code ../shared/data/brown/brown.jsonl.gz}.
 */
@EnabledIfSystemProperty(named = "microw.bench", matches = "true")
class SaveActivationsBenchmark {

    private static final String LAYER = "transformer.h.3";
    private static final int BATCH = 32;
    private static final int MAX_LENGTH = 128;

    @Test
    void savingVersusForward(@TempDir Path tmp) throws Exception {
        List<String> texts = trainSentences(Integer.getInteger("microw.bench.sentences", 4000));
        try (LanguageModel lm = BrownGpt2.load()) {
            long real = 0;
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            for (int round = 0; round < 4; round++) {
                long t0 = System.nanoTime();
                real = forward(lm, texts, InferenceOptions.defaults().withMaxLength(MAX_LENGTH));
                long t1 = System.nanoTime();
                forward(lm, texts, InferenceOptions.defaults().withMaxLength(MAX_LENGTH).withStopAfterLayer(LAYER));
                long t2 = System.nanoTime();
                lm.activations().saveActivations(texts, List.of(LAYER), SaveOptions.into(tmp.resolve("s" + round))
                        .withRunName("bench").withBatchSize(BATCH).withMaxLength(MAX_LENGTH));
                long t3 = System.nanoTime();
                if (round > 0) {
                    best[0] = Math.min(best[0], (t1 - t0) / 1e9);
                    best[1] = Math.min(best[1], (t2 - t1) / 1e9);
                    best[2] = Math.min(best[2], (t3 - t2) / 1e9);
                }
                System.out.printf(Locale.ROOT, "round %d: forward %.2fs, forward to %s %.2fs, save %.2fs%n", round,
                        (t1 - t0) / 1e9, LAYER, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
            }
            long bytes = Files.walk(new LocalStore(tmp.resolve("s0")).runDirectory("bench"))
                    .filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            System.out.printf(Locale.ROOT, "BENCH %d texts, %d real tokens, batch %d, max length %d; best of 3:"
                            + " full forward %.0f tok/s, forward to %s %.0f tok/s, save %s %.0f tok/s"
                            + " (%.2fx full forward, %.2fx stopped forward), %.1f MB written%n",
                    texts.size(), real, BATCH, MAX_LENGTH, real / best[0], LAYER, real / best[1], LAYER,
                    real / best[2], best[0] / best[2], best[1] / best[2], bytes / 1e6);
        }
    }

    private static long forward(LanguageModel lm, List<String> texts, InferenceOptions options) {
        long real = 0;
        for (int i = 0; i < texts.size(); i += BATCH) {
            try (InferenceResult r = lm.inference().executeInference(texts.subList(i,
                    Math.min(texts.size(), i + BATCH)), options)) {
                for (long[] row : r.encodings().attentionMask()) {
                    for (long m : row) {
                        real += m;
                    }
                }
            }
        }
        return real;
    }

    /** Sentences of the demo model's training documents (index not divisible by 10), in corpus order. */
    private static List<String> trainSentences(int limit) throws Exception {
        Path corpus = Path.of("..", "..", "shared", "data", "brown", "brown.jsonl.gz");
        if (!Files.exists(corpus)) {
            corpus = Path.of("/work/shared/data/brown/brown.jsonl.gz");
        }
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(corpus)), StandardCharsets.UTF_8))) {
            String line;
            for (int doc = 0; (line = in.readLine()) != null && out.size() < limit; doc++) {
                if (doc % 10 == 0) {
                    continue;
                }
                for (JsonNode s : json.readTree(line).get("sentences")) {
                    if (out.size() < limit) {
                        out.add(s.get("text").asText());
                    }
                }
            }
        }
        return out;
    }
}
