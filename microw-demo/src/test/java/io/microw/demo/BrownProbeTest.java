package io.microw.demo;

import io.microw.eval.LinearProbe;
import io.microw.eval.ProbeOptions;
import io.microw.lm.LanguageModel;
import io.microw.lm.RunResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Linear probes on brown-gpt2's residual stream, one per layer, for a part-of-speech distinction the Brown tags give
 * (a word tagged as a singular common noun, {@code nn}, against a verb's base form, {@code vb}), read at each word's
 * last token: which layer knows it best. The labels come from the corpus, not from the model.
 */
class BrownProbeTest {

    private static final int SENTENCES = 400;
    private static final int BATCH = 32;
    private static final int MAX_TOKENS = 128;
    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    /** A sentence's token ids, word by word, and the last token and label of each word tagged nn (0) or vb (1). */
    private record Tokenized(long[] ids, List<Integer> lastTokens, List<Integer> labels) {
        static Tokenized of(BrownCorpus.Sentence s) {
            List<Long> ids = new ArrayList<>();
            List<Integer> lastTokens = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (BrownCorpus.Word w : s.taggedWords()) {
                for (long id : lm.tokenizer().encode((ids.isEmpty() ? "" : " ") + w.word())) {
                    ids.add(id);
                }
                int label = w.tag().equals("nn") ? 0 : w.tag().equals("vb") ? 1 : -1;
                if (label >= 0) {
                    lastTokens.add(ids.size() - 1);
                    labels.add(label);
                }
            }
            return new Tokenized(ids.stream().mapToLong(Long::longValue).toArray(), lastTokens, labels);
        }
    }

    /** Runs a right-padded batch and adds every labelled word's stream at each layer (the last block's output last). */
    private static void collect(List<Tokenized> batch, List<List<float[]>> features, List<Integer> labels) {
        if (batch.isEmpty()) {
            return;
        }
        int layers = lm.config().numLayers();
        int seq = batch.stream().mapToInt(t -> t.ids().length).max().orElseThrow();
        long[][] ids = new long[batch.size()][seq];
        long[][] mask = new long[batch.size()][seq];
        for (int r = 0; r < batch.size(); r++) {
            long[] row = batch.get(r).ids();
            System.arraycopy(row, 0, ids[r], 0, row.length);
            java.util.Arrays.fill(mask[r], 0, row.length, 1);
        }
        try (RunResult run = lm.inference().runWithCache(ids, mask, "blocks.*.hook_resid_pre",
                "blocks." + (layers - 1) + ".hook_resid_post")) {
            for (int l = 0; l <= layers; l++) {
                String name = l < layers ? "blocks." + l + ".hook_resid_pre" : "blocks." + (layers - 1) + ".hook_resid_post";
                float[] flat = run.cache().get(name).toFloatArray();
                int d = flat.length / (batch.size() * seq);
                for (int r = 0; r < batch.size(); r++) {
                    for (int p : batch.get(r).lastTokens()) {
                        float[] v = new float[d];
                        System.arraycopy(flat, (r * seq + p) * d, v, 0, d);
                        features.get(l).add(v);
                    }
                }
            }
        }
        batch.forEach(t -> labels.addAll(t.labels()));
    }

    @Test
    void nounsAndVerbsAreLinearlySeparableInTheResidualStreamAndBetterAfterTheFirstBlock() {
        int layers = lm.config().numLayers();
        List<List<float[]>> features = new ArrayList<>();
        for (int l = 0; l <= layers; l++) {
            features.add(new ArrayList<>());
        }
        List<Integer> labels = new ArrayList<>();
        long start = System.nanoTime();
        List<Tokenized> batch = new ArrayList<>();
        for (BrownCorpus.Sentence s : BrownCorpus.load().sentences(BrownCorpus.Split.TRAIN).subList(0, SENTENCES)) {
            Tokenized t = Tokenized.of(s);
            if (!t.labels().isEmpty() && t.ids().length <= MAX_TOKENS) {
                batch.add(t);
            }
            if (batch.size() == BATCH) {
                collect(batch, features, labels);
                batch.clear();
            }
        }
        collect(batch, features, labels);
        System.out.printf(Locale.ROOT, "BrownProbeTest: activations collected in %.1f s%n",
                (System.nanoTime() - start) / 1e9);
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        long verbs = labels.stream().filter(v -> v == 1).count();
        double majority = Math.max(verbs, y.length - verbs) / (double) y.length;
        double[] accuracy = new double[layers + 1];
        for (int l = 0; l <= layers; l++) {
            LinearProbe probe = LinearProbe.train(features.get(l).toArray(float[][]::new), y,
                    ProbeOptions.defaults().withEpochs(20));
            accuracy[l] = probe.report().validationAccuracy();
            System.out.printf(Locale.ROOT, "BrownProbeTest: %s nn vs vb, held-out accuracy %.3f, macro F1 %.3f%n",
                    l < layers ? "blocks." + l + ".hook_resid_pre" : "final hook_resid_post", accuracy[l],
                    probe.report().validationMacroF1());
        }
        System.out.printf(Locale.ROOT, "BrownProbeTest: %d words (%d verbs), majority class %.3f%n", y.length, verbs,
                majority);
        assertThat(y.length).as("labelled words").isGreaterThan(500);
        double best = 0;
        for (int l = 1; l <= layers; l++) {
            best = Math.max(best, accuracy[l]);
        }
        assertThat(best).as("best held-out accuracy after the first block").isGreaterThan(majority + 0.1);
        assertThat(accuracy[layers]).as("the last block's output against the embeddings")
                .isGreaterThan(accuracy[0] + 0.04);
    }
}
