package io.microw.demo;

import io.microw.eval.LinearProbe;
import io.microw.eval.ProbeOptions;
import io.microw.lm.LanguageModel;
import io.microw.lm.RunResult;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Activations of Brown sentences at chosen layers, labelled for a {@link BrownProbeLabel}: what a probe per layer
 * trains on. Sentences are encoded word by word (a space before every word but the first) and run in right-padded
 * batches of 32 through {@code runWithCache}; sentences over 128 tokens are skipped.
 * <ul>
 *   <li>Part of speech: one row per labelled word, the activation at the word's <em>last</em> token (where the
 *       model has read all of it), from the first {@code sentences} sentences of the training split.</li>
 *   <li>Genre: one row per sentence, the activation <em>mean-pooled</em> over the sentence's tokens (a genre is a
 *       property of the whole text, not of a token), from {@code sentences} sentences taken round-robin over the
 *       training split's 450 documents (the first of each, then the second, ...), so every genre is present.
 *       Sentences of one document can land on both sides of the probe's validation split.</li>
 * </ul>
 * <pre>{@code
 * BrownProbeData data = BrownProbeData.collect(lm, BrownProbeLabel.parse("pos:nn,vb"), 400,
 *         List.of("blocks.*.hook_resid_pre"));
 * data.probes(ProbeOptions.defaults().withEpochs(20))
 *         .forEach((site, p) -> System.out.println(site + " " + p.report().validationAccuracy()));
 * }</pre>
 */
public final class BrownProbeData {

    /** Sentences per forward. */
    public static final int BATCH = 32;
    /** Longer sentences (in tokens) are skipped. */
    public static final int MAX_TOKENS = 128;

    private final BrownProbeLabel label;
    private final Map<String, float[][]> features;
    private final int[] labels;
    private final int sentences;

    private BrownProbeData(BrownProbeLabel label, Map<String, float[][]> features, int[] labels, int sentences) {
        this.label = label;
        this.features = features;
        this.labels = labels;
        this.sentences = sentences;
    }

    /**
     * Runs the model on Brown sentences and keeps each example's activation at every layer the patterns select.
     *
     * @param lm            the model (its tokenizer encodes the words)
     * @param label         what to label
     * @param sentences     how many sentences to read, at least 1
     * @param layerPatterns layer names, aliases or glob patterns, e.g. {@code blocks.*.hook_resid_pre}
     * @return the examples
     * @throws io.microw.lm.UnknownLayerException for a pattern that selects no layer
     * @throws IllegalArgumentException           for no patterns, fewer than one sentence, or sentences giving no
     *                                            example of some class
     */
    public static BrownProbeData collect(LanguageModel lm, BrownProbeLabel label, int sentences,
                                         List<String> layerPatterns) {
        Objects.requireNonNull(label, "label");
        if (sentences < 1) {
            throw new IllegalArgumentException("sentences must be at least 1, got " + sentences);
        }
        if (layerPatterns == null || layerPatterns.isEmpty()) {
            throw new IllegalArgumentException("no layer given: name at least one layer or pattern, e.g. "
                    + "'blocks.*.hook_resid_pre'");
        }
        LinkedHashSet<String> sites = new LinkedHashSet<>();
        layerPatterns.forEach(p -> sites.addAll(lm.layers().match(p)));
        Map<String, List<float[]>> rows = new LinkedHashMap<>();
        sites.forEach(s -> rows.put(s, new ArrayList<>()));
        List<Integer> labels = new ArrayList<>();
        List<Encoded> batch = new ArrayList<>();
        int used = 0;
        for (Encoded e : encoded(lm, label, sentences)) {
            batch.add(e);
            used++;
            if (batch.size() == BATCH) {
                run(lm, batch, rows, labels);
                batch.clear();
            }
        }
        run(lm, batch, rows, labels);
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        for (int c = 0; c < label.classes().size(); c++) {
            int cls = c;
            if (!label.genre() && Arrays.stream(y).noneMatch(v -> v == cls)) {
                throw new IllegalArgumentException(used + " sentences hold no word of class '" + label.classes().get(c)
                        + "' for label '" + label.spec() + "'; read more sentences or choose commoner tags");
            }
        }
        Map<String, float[][]> features = new LinkedHashMap<>();
        rows.forEach((site, list) -> features.put(site, list.toArray(float[][]::new)));
        return new BrownProbeData(label, features, y, used);
    }

    /**
     * Trains one probe per layer, in layer order, each on the same examples and options.
     *
     * @param options the training settings
     * @return the probe of each layer
     */
    public Map<String, LinearProbe> probes(ProbeOptions options) {
        Map<String, LinearProbe> out = new LinkedHashMap<>();
        features.forEach((site, x) -> out.put(site, LinearProbe.train(x, labels, options)));
        return out;
    }

    /**
     * What the examples are labelled with.
     *
     * @return the label
     */
    public BrownProbeLabel label() {
        return label;
    }

    /**
     * The layers read, canonical names in the order the patterns selected them.
     *
     * @return the layers
     */
    public List<String> sites() {
        return List.copyOf(features.keySet());
    }

    /**
     * The examples' activations at one layer.
     *
     * @param site a layer of {@link #sites()}
     * @return [examples][width], shared (do not change it)
     */
    public float[][] features(String site) {
        float[][] x = features.get(site);
        if (x == null) {
            throw new IllegalArgumentException("layer '" + site + "' was not read; read layers: " + sites());
        }
        return x;
    }

    /**
     * Each example's class.
     *
     * @return a copy, one class per example
     */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * How many sentences were run.
     *
     * @return the sentences
     */
    public int sentences() {
        return sentences;
    }

    /**
     * A sentence's token ids and its examples: the class of each labelled word with the position of its last token,
     * or ({@code pooled}) one class for the whole sentence.
     */
    private record Encoded(long[] ids, int[] positions, int[] classes, boolean pooled) {
    }

    /**
     * The first {@code count} sentences the label reads, encoded; those over {@link #MAX_TOKENS} tokens or without
     * an example are skipped (and still counted, so that a count names the same sentences for every label).
     */
    private static List<Encoded> encoded(LanguageModel lm, BrownProbeLabel label, int count) {
        BrownCorpus corpus = BrownCorpus.load();
        List<Encoded> out = new ArrayList<>();
        if (!label.genre()) {
            List<BrownCorpus.Sentence> all = corpus.sentences(BrownCorpus.Split.TRAIN);
            for (BrownCorpus.Sentence s : all.subList(0, Math.min(count, all.size()))) {
                Encoded e = words(lm, label, s);
                if (e.positions().length > 0 && e.ids().length <= MAX_TOKENS) {
                    out.add(e);
                }
            }
            return out;
        }
        List<BrownCorpus.Document> docs = corpus.documents(BrownCorpus.Split.TRAIN);
        List<String> genres = corpus.genres();
        int read = 0;
        for (int round = 0; read < count; round++) {
            int before = read;
            for (BrownCorpus.Document d : docs) {
                if (round < d.sentences().size() && read < count) {
                    read++;
                    long[] ids = words(lm, label, d.sentences().get(round)).ids();
                    if (ids.length > 0 && ids.length <= MAX_TOKENS) {
                        out.add(new Encoded(ids, new int[0], new int[] {genres.indexOf(d.genre())}, true));
                    }
                }
            }
            if (read == before) {
                break;
            }
        }
        return out;
    }

    /** A sentence encoded word by word, with the last token and class of every word the label keeps. */
    private static Encoded words(LanguageModel lm, BrownProbeLabel label, BrownCorpus.Sentence s) {
        List<Long> ids = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        List<Integer> classes = new ArrayList<>();
        for (BrownCorpus.Word w : s.taggedWords()) {
            for (long id : lm.tokenizer().encode((ids.isEmpty() ? "" : " ") + w.word())) {
                ids.add(id);
            }
            int c = label.classOf(w.tag());
            if (c >= 0 && !ids.isEmpty()) {
                positions.add(ids.size() - 1);
                classes.add(c);
            }
        }
        return new Encoded(ids.stream().mapToLong(Long::longValue).toArray(),
                positions.stream().mapToInt(Integer::intValue).toArray(),
                classes.stream().mapToInt(Integer::intValue).toArray(), false);
    }

    /** Runs a right-padded batch and adds its examples' activations at every layer, and their classes. */
    private static void run(LanguageModel lm, List<Encoded> batch, Map<String, List<float[]>> rows,
                            List<Integer> labels) {
        if (batch.isEmpty()) {
            return;
        }
        int seq = batch.stream().mapToInt(e -> e.ids().length).max().orElseThrow();
        long[][] ids = new long[batch.size()][seq];
        long[][] mask = new long[batch.size()][seq];
        for (int r = 0; r < batch.size(); r++) {
            long[] row = batch.get(r).ids();
            System.arraycopy(row, 0, ids[r], 0, row.length);
            Arrays.fill(mask[r], 0, row.length, 1);
        }
        try (RunResult result = lm.inference().runWithCache(ids, mask, rows.keySet().toArray(String[]::new))) {
            for (Map.Entry<String, List<float[]>> site : rows.entrySet()) {
                float[] flat = result.cache().get(site.getKey()).toFloatArray();
                int d = flat.length / (batch.size() * seq);
                for (int r = 0; r < batch.size(); r++) {
                    Encoded e = batch.get(r);
                    if (e.pooled()) {
                        site.getValue().add(meanPooled(flat, r * seq, e.ids().length, d));
                    }
                    for (int p : e.positions()) {
                        site.getValue().add(Arrays.copyOfRange(flat, (r * seq + p) * d, (r * seq + p + 1) * d));
                    }
                }
            }
        }
        batch.forEach(e -> Arrays.stream(e.classes()).forEach(labels::add));
    }

    /** The mean of {@code tokens} rows of width {@code d} starting at row {@code first}. */
    private static float[] meanPooled(float[] flat, int first, int tokens, int d) {
        float[] out = new float[d];
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < d; j++) {
                out[j] += flat[(first + t) * d + j] / tokens;
            }
        }
        return out;
    }
}
