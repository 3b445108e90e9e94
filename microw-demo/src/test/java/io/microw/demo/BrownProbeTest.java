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
    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void nounsAndVerbsAreLinearlySeparableInTheResidualStreamAndBetterAfterTheFirstBlock() {
        int layers = lm.config().numLayers();
        List<List<float[]>> features = new ArrayList<>();
        for (int l = 0; l <= layers; l++) {
            features.add(new ArrayList<>());
        }
        List<Integer> labels = new ArrayList<>();
        for (BrownCorpus.Sentence s : BrownCorpus.load().sentences(BrownCorpus.Split.TRAIN).subList(0, SENTENCES)) {
            List<Long> ids = new ArrayList<>();
            List<Integer> lastTokens = new ArrayList<>();
            List<Integer> wordLabels = new ArrayList<>();
            for (BrownCorpus.Word w : s.taggedWords()) {
                for (long id : lm.tokenizer().encode((ids.isEmpty() ? "" : " ") + w.word())) {
                    ids.add(id);
                }
                int label = w.tag().equals("nn") ? 0 : w.tag().equals("vb") ? 1 : -1;
                if (label >= 0 && ids.size() <= 128) {
                    lastTokens.add(ids.size() - 1);
                    wordLabels.add(label);
                }
            }
            if (wordLabels.isEmpty() || ids.size() > 128) {
                continue;
            }
            long[][] row = {ids.stream().mapToLong(Long::longValue).toArray()};
            try (RunResult r = lm.inference().runWithCache(row, null, "blocks.*.hook_resid_pre",
                    "blocks." + (layers - 1) + ".hook_resid_post")) {
                for (int l = 0; l <= layers; l++) {
                    String name = l < layers ? "blocks." + l + ".hook_resid_pre"
                            : "blocks." + (layers - 1) + ".hook_resid_post";
                    float[] flat = r.cache().get(name).toFloatArray();
                    int d = flat.length / row[0].length;
                    for (int p : lastTokens) {
                        float[] v = new float[d];
                        System.arraycopy(flat, p * d, v, 0, d);
                        features.get(l).add(v);
                    }
                }
                labels.addAll(wordLabels);
            }
        }
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
        assertThat(best).as("best held-out accuracy after the first block").isGreaterThan(majority + 0.1)
                .isGreaterThanOrEqualTo(accuracy[0]);
    }
}
