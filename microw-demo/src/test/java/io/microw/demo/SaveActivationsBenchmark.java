package io.microw.demo;

import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.store.LocalStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Tokens per second of saving one block's output of brown-gpt2 against the forward alone over the same Brown
 * training sentences (the embedded BrownCorpus), interleaved in rounds. Runs only when asked:
 * {@code mvn -pl microw-core,microw-demo test -Dtest=SaveActivationsBenchmark -Dmicrow.bench=true
 * [-Dmicrow.bench.sentences=4000]}.
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

    /** Sentences of the demo model's training documents, in corpus order. */
    private static List<String> trainSentences(int limit) {
        return BrownCorpus.load().sentences(BrownCorpus.Split.TRAIN).stream().limit(limit)
                .map(BrownCorpus.Sentence::text).toList();
    }
}
