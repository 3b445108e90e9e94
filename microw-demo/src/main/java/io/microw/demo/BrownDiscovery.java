package io.microw.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.LabelledDiscovery;
import io.microw.concepts.LabelledDiscovery.LatentScore;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.tokenizer.Encodings;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Labelled discovery on the embedded default: runs brown-gpt2 over Brown sentences, encodes one layer's output with
 * an SAE, labels every token with its word's part-of-speech tag ({@code pos:<tag>}, the Brown tag as written in the
 * corpus, e.g. {@code pos:nn}, {@code pos:np-tl}) and its document's genre ({@code genre:<genre>}, e.g.
 * {@code genre:press_reportage}), and scores every latent as a classifier of every label ({@link LabelledDiscovery}).
 *
 * <h2>Tokens and words</h2>
 * Each sentence is fed as its prose text ({@link BrownCorpus.Sentence#text()}, one sentence per row, no BOS: the
 * GPT-2 tokenizer adds none). Words are located in the text in order ({@code ``} and {@code ''} are written as
 * {@code "} there). Token character spans come from the byte-level BPE token strings (each character stands for one
 * byte, GPT-2's byte-to-unicode table), checked to spell the text exactly; a sentence whose tokens do not is skipped
 * and counted. A token belongs to the word containing its first non-space character (a GPT-2 token is "space, then
 * the start of a word", so {@code "Ġinvestigation"} belongs to {@code investigation}). A token that covers the end
 * of one word and the next (e.g. {@code ."} when BPE merges adjacent punctuation) is labelled by the first and
 * counted in {@link Stats#tokensSpanningWords()}. A token of whitespace only gets no tag.
 * <p>
 * Multi-token words: by default ({@link WordTokens#ALL}) every token of a word gets the word's tag, so a tag's
 * recall asks "does the latent fire on all of the word"; {@link WordTokens#FIRST} tags only a word's first token
 * (later tokens get the genre only). Genre labels go on every token. Special and padding tokens are never counted.
 */
public final class BrownDiscovery {

    /** Which tokens of a multi-token word get the word's tag. */
    public enum WordTokens {
        /** Every token of the word. */
        ALL,
        /** Only the first token of the word. */
        FIRST
    }

    /** Label prefixes. */
    public static final String POS = "pos:";
    public static final String GENRE = "genre:";

    /** Counts of one run: what was fed and what could not be aligned. */
    public record Stats(long sentences, long tokens, long sentencesSkipped, long tokensOutsideWords,
                        long tokensSpanningWords, long multiTokenWords, long words) {
    }

    /** The discovery and the run's counts. */
    public record Result(LabelledDiscovery discovery, Stats stats) {

        /** The report: tags with F1 ≥ {@code minF1}, best latent of the {@code top} most frequent tags, genres. */
        public Report report(double minF1, int top) {
            List<LatentScore> tagsAbove = discovery.labels(POS).stream().map(discovery::bestLatent)
                    .filter(s -> s.f1() >= minF1).toList();
            List<String> tags = discovery.labels(POS);
            List<LatentScore> topTags = tags.subList(0, Math.min(top, tags.size())).stream()
                    .map(discovery::bestLatent).toList();
            List<LatentScore> genres = discovery.labels(GENRE).stream().map(discovery::bestLatent).toList();
            return new Report(minF1, tags.size(), tagsAbove, topTags, genres, stats);
        }
    }

    /** What the benchmark reports. Labels are ordered by frequency, most frequent first. */
    public record Report(double minF1, int tagCount, List<LatentScore> tagsAtLeastMinF1, List<LatentScore> topTags,
                         List<LatentScore> genres, Stats stats) {

        /** A plain-text table. */
        public String toText() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%d sentences, %d tokens (%d words, %d of them multi-token); "
                            + "%d sentences skipped, %d tokens outside words, %d tokens spanning two words%n",
                    stats.sentences(), stats.tokens(), stats.words(), stats.multiTokenWords(),
                    stats.sentencesSkipped(), stats.tokensOutsideWords(), stats.tokensSpanningWords()));
            sb.append(String.format(Locale.ROOT, "POS tags with a latent of F1 >= %.2f: %d of %d%n", minF1,
                    tagsAtLeastMinF1.size(), tagCount));
            table(sb, tagsAtLeastMinF1);
            sb.append(String.format(Locale.ROOT, "Best latent of the %d most frequent tags:%n", topTags.size()));
            table(sb, topTags);
            sb.append(String.format(Locale.ROOT, "Genres (%d with F1 >= %.2f):%n",
                    genres.stream().filter(g -> g.f1() >= minF1).count(), minF1));
            table(sb, genres);
            return sb.toString();
        }

        private static void table(StringBuilder sb, List<LatentScore> rows) {
            sb.append(String.format(Locale.ROOT, "  %-28s %7s %6s %6s %6s %9s%n", "label", "latent", "P", "R", "F1",
                    "tokens"));
            for (LatentScore s : rows) {
                sb.append(String.format(Locale.ROOT, "  %-28s %7d %6.3f %6.3f %6.3f %9d%n", s.label(), s.latent(),
                        s.precision(), s.recall(), s.f1(), s.labelled()));
            }
        }
    }

    private final LanguageModel lm;
    private final Sae sae;
    private final String layer;
    private int batchSize = 32;
    private WordTokens wordTokens = WordTokens.ALL;

    /** Discovery of {@code sae}'s latents on {@code layer} (name or alias) of {@code lm} (brown-gpt2). */
    public BrownDiscovery(LanguageModel lm, Sae sae, String layer) {
        this.lm = Objects.requireNonNull(lm, "lm");
        this.sae = Objects.requireNonNull(sae, "sae");
        this.layer = Objects.requireNonNull(layer, "layer");
        if (!lm.hasTokenizer()) {
            throw new IllegalArgumentException("the model has no tokenizer; BrownDiscovery needs one to align tokens");
        }
        lm.layers().resolve(layer); // unknown layer: a clear error now
    }

    /** Sentences per forward (default 32). */
    public BrownDiscovery batchSize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + size);
        }
        this.batchSize = size;
        return this;
    }

    /** Which tokens of a multi-token word get its tag (default {@link WordTokens#ALL}). */
    public BrownDiscovery wordTokens(WordTokens mode) {
        this.wordTokens = Objects.requireNonNull(mode, "mode");
        return this;
    }

    /** One sentence with its document's genre. */
    private record Item(BrownCorpus.Sentence sentence, String genre) {
    }

    /**
     * Runs over the sentences of {@code split}'s documents in corpus order, at most {@code limit} of them
     * ({@code limit <= 0}: all).
     */
    public Result run(BrownCorpus corpus, BrownCorpus.Split split, int limit) {
        List<Item> items = new ArrayList<>();
        outer:
        for (BrownCorpus.Document d : corpus.documents(split)) {
            for (BrownCorpus.Sentence s : d.sentences()) {
                if (limit > 0 && items.size() >= limit) {
                    break outer;
                }
                items.add(new Item(s, d.genre()));
            }
        }
        LabelledDiscovery discovery = new LabelledDiscovery(sae.dSae());
        long[] counts = new long[7];
        for (int start = 0; start < items.size(); start += batchSize) {
            runBatch(items.subList(start, Math.min(items.size(), start + batchSize)), discovery, counts);
        }
        return new Result(discovery, new Stats(counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
                counts[6]));
    }

    private void runBatch(List<Item> batch, LabelledDiscovery discovery, long[] counts) {
        List<String> texts = batch.stream().map(i -> i.sentence().text()).toList();
        float[] acts;
        Encodings enc;
        int b;
        int t;
        int d;
        try (LayerActivationDetector detector = new LayerActivationDetector(layer)) {
            String id = lm.layers().registerHook(layer, detector);
            try (InferenceResult r = lm.inference().executeInference(texts,
                    InferenceOptions.defaults().withStopAfterLayer(layer))) {
                enc = r.encodings();
                NDArray a = detector.getCaptured();
                if (a == null) {
                    throw new IllegalStateException("layer '" + layer + "' did not run during the forward");
                }
                Shape shape = a.getShape();
                sae.checkInputWidth(shape.get(shape.dimension() - 1), layer);
                if (shape.dimension() != 3) {
                    throw new IllegalArgumentException("layer '" + layer + "' outputs shape " + shape
                            + "; discovery needs one vector per token, [batch, seq, d]");
                }
                b = (int) shape.get(0);
                t = (int) shape.get(1);
                d = (int) shape.get(2);
                acts = a.toFloatArray();
            } finally {
                lm.layers().unregisterHook(id);
            }
        }
        float[] codes;
        try (NDManager m = sae.newManager()) {
            codes = sae.encode(m.create(acts, new Shape((long) b * t, d))).toFloatArray();
        }
        int nLat = sae.dSae();
        long[][] mask = enc.attentionMask();
        long[][] special = enc.specialTokensMask();
        String[][] tokens = enc.tokens();
        int[] lat = new int[nLat];
        float[] val = new float[nLat];
        for (int row = 0; row < b; row++) {
            Item item = batch.get(row);
            BrownCorpus.Sentence s = item.sentence();
            List<Integer> positions = new ArrayList<>();
            List<String> real = new ArrayList<>();
            for (int p = 0; p < t; p++) {
                if (mask[row][p] == 1 && special[row][p] == 0) {
                    positions.add(p);
                    real.add(tokens[row][p]);
                }
            }
            Alignment al = align(s.text(), s.words(), real.toArray(String[]::new));
            if (al == null) {
                counts[2]++;
                continue;
            }
            counts[0]++;
            counts[3] += al.outsideWords();
            counts[4] += al.spanningWords();
            String genre = GENRE + item.genre();
            int[] tokensOfWord = new int[s.words().size()];
            for (int w : al.wordOfToken()) {
                if (w >= 0) {
                    tokensOfWord[w]++;
                }
            }
            for (int w = 0; w < tokensOfWord.length; w++) {
                if (tokensOfWord[w] > 0) {
                    counts[6]++;
                    counts[5] += tokensOfWord[w] > 1 ? 1 : 0;
                }
            }
            for (int i = 0; i < positions.size(); i++) {
                int base = (row * t + positions.get(i)) * nLat;
                int n = 0;
                for (int l = 0; l < nLat; l++) {
                    float v = codes[base + l];
                    if (v > 0f) {
                        lat[n] = l;
                        val[n++] = v;
                    }
                }
                int w = al.wordOfToken()[i];
                boolean tagged = w >= 0 && (wordTokens == WordTokens.ALL || i == 0 || al.wordOfToken()[i - 1] != w);
                discovery.add(lat, val, n, tagged ? List.of(POS + s.tags().get(w), genre) : List.of(genre));
                counts[1]++;
            }
        }
    }

    /**
     * How tokens map to words: for each token, the index of the word it belongs to, or -1 for a whitespace-only
     * token.
     */
    public record Alignment(int[] wordOfToken, int outsideWords, int spanningWords) {
    }

    /**
     * Aligns a sentence's byte-level BPE tokens (as {@link Encodings#tokens()} gives them, without special or padding
     * tokens) to its words; {@code null} when the tokens do not spell a prefix of the text or a word cannot be found
     * in the text. Truncated token lists (a prefix of the text) align too.
     */
    public static Alignment align(String text, List<String> words, String[] tokens) {
        // word character spans
        int[] wordStart = new int[words.size()];
        int[] wordEnd = new int[words.size()];
        int cursor = 0;
        for (int w = 0; w < words.size(); w++) {
            String word = words.get(w);
            String shown = word.equals("``") || word.equals("''") ? "\"" : word;
            int at = text.indexOf(shown, cursor);
            if (at < 0 || !text.substring(cursor, at).isBlank()) {
                return null;
            }
            wordStart[w] = at;
            wordEnd[w] = at + shown.length();
            cursor = wordEnd[w];
        }
        // byte offset -> char index of the text
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] charOfByte = new int[bytes.length + 1];
        int bi = 0;
        for (int c = 0; c < text.length(); ) {
            int cp = text.codePointAt(c);
            int len = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            for (int k = 0; k < len; k++) {
                charOfByte[bi++] = c;
            }
            c += Character.charCount(cp);
        }
        charOfByte[bytes.length] = text.length();
        int[] wordOfToken = new int[tokens.length];
        int outside = 0;
        int spanning = 0;
        int pos = 0;
        int w = 0;
        for (int i = 0; i < tokens.length; i++) {
            String tok = tokens[i];
            int start = pos;
            for (int k = 0; k < tok.length(); k++) {
                int by = BYTE_OF_CHAR.getOrDefault(tok.charAt(k), -1);
                if (by < 0 || pos >= bytes.length || (bytes[pos] & 0xff) != by) {
                    return null;
                }
                pos++;
            }
            int first = start;
            while (first < pos && Character.isWhitespace(bytes[first])) {
                first++;
            }
            if (first == pos) {
                wordOfToken[i] = -1;
                outside++;
                continue;
            }
            int c = charOfByte[first];
            while (w < wordEnd.length && wordEnd[w] <= c) {
                w++;
            }
            if (w == wordEnd.length || c < wordStart[w]) {
                wordOfToken[i] = -1;
                outside++;
                continue;
            }
            wordOfToken[i] = w;
            if (charOfByte[pos] > wordEnd[w]) {
                spanning++;
            }
        }
        return new Alignment(wordOfToken, outside, spanning);
    }

    /** GPT-2's byte-to-unicode table, reversed: the byte each token character stands for. */
    private static final java.util.Map<Character, Integer> BYTE_OF_CHAR = byteLevelTable();

    private static java.util.Map<Character, Integer> byteLevelTable() {
        java.util.Map<Character, Integer> out = new java.util.HashMap<>();
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE && b <= 0xFF;
            out.put(printable ? (char) b : (char) (256 + extra++), b);
        }
        return out;
    }

    /** Runs discovery over the whole split and writes the proposed names to {@code concepts} when given. */
    public static Result runAndName(LanguageModel lm, Sae sae, String layer, BrownCorpus.Split split, int limit,
                                    Path concepts, double minF1) {
        Result r = new BrownDiscovery(lm, sae, layer).run(BrownCorpus.load(), split, limit);
        if (concepts != null) {
            ConceptDictionary dict = ConceptDictionary.forLatents(sae.dSae());
            r.discovery().proposeNames(dict, minF1);
            dict.save(concepts);
        }
        return r;
    }

    /**
     * {@code BrownDiscovery <sae-dir> [layer=transformer.h.2] [split=validation] [limit=0] [concepts-out]}: prints
     * the report (tags with F1 >= 0.5, best latent of the 10 most frequent tags, genres).
     */
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: BrownDiscovery <sae-dir> [layer] [validation|train] [limit] [concepts.json]");
            System.exit(2);
        }
        Path saeDir = Path.of(args[0]);
        String layer = args.length > 1 ? args[1] : "transformer.h.2";
        BrownCorpus.Split split = BrownCorpus.Split.valueOf((args.length > 2 ? args[2] : "validation")
                .toUpperCase(Locale.ROOT));
        int limit = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        Path out = args.length > 4 ? Path.of(args[4]) : null;
        long t0 = System.nanoTime();
        try (LanguageModel lm = BrownGpt2.load(); Sae sae = Sae.load(saeDir)) {
            Result r = runAndName(lm, sae, layer, split, limit, out, 0.5);
            System.out.print(r.report(0.5, 10).toText());
            System.out.printf(Locale.ROOT, "(%.1f s)%n", (System.nanoTime() - t0) / 1e9);
        }
    }
}
