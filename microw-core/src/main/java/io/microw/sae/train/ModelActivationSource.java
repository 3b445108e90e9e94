package io.microw.sae.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.microw.data.Datasets;
import io.microw.data.TextDataset;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.store.ShuffleBuffer;
import io.microw.tokenizer.Encodings;
import io.microw.tokenizer.PaddingSide;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;

/**
 * Training rows computed on the fly from a model and a set of texts, without saving activations: SAEs train
 * straight from the forwards ({@link SaeTrainer#trainTogether} feeds several SAEs, on one or more layers, from
 * one pass).
 * <p>
 * Each call of {@link #batches} walks the texts epoch after epoch in batches of {@link Builder#textBatchSize}
 * texts, runs a forward per text batch that stops after the deepest requested layer, keeps only real tokens
 * (attention mask 1) and, by default, drops special tokens (the tokenizer's special-token mask), and yields
 * token rows: token t's row of every layer, so the layers stay aligned. Rows are mixed in a SAELens-style
 * {@link ShuffleBuffer} of whole tokens (all layers of a token move together), seeded, so a pass is deterministic;
 * a buffer of 0 rows keeps the texts' order (text by text, position by position: the order
 * {@code saveActivations} + {@code StoreDataLoader} read back).
 * <p>
 * Hooks: a detector per requested layer is registered just before each forward and unregistered right after it,
 * in a {@code finally}: between forwards no hook of this source is registered, so an iterator that is abandoned
 * half-way, exhausted, or that threw leaves the model's hook registry as it found it. Other hooks registered on the
 * model run as usual (a layer with a controller cannot take this source's detector).
 * <p>
 * Memory: each forward's result is closed at once; the detectors copy the layer outputs to heap arrays, from
 * which the kept rows are copied out. At most the shuffle buffer plus one forward's rows are held.
 * <p>
 * Layers are named as {@code lm.layers()} accepts (canonical names, aliases such as {@code layer_3}, TransformerLens
 * names, indices); batches hold rows under the names given. Each layer's output must be {@code [batch, seq, ...]}
 * (trailing dimensions are flattened into the row).
 *
 * <pre>{@code
 * ModelActivationSource source = ModelActivationSource.builder(lm, texts, List.of("layer_1", "layer_2"))
 *         .textBatchSize(32).shuffleBufferRows(65_536).seed(42).build();
 * List<TrainingResult> results = SaeTrainer.trainTogether(List.of(a, b), List.of("layer_1", "layer_2"), source);
 * }</pre>
 */
public final class ModelActivationSource implements LayerActivationSource {

    private final LanguageModel lm;
    private final TextDataset dataset;
    private final List<String> texts;
    private final List<String> layers;
    /** Distinct canonical layers, in the order first named. */
    private final List<String> canonical;
    /** For each name in {@link #layers}, the index of its canonical layer. */
    private final int[] layerIndex;
    private final InferenceOptions inference;
    private final int textBatchSize;
    private final int maxLength;
    private final boolean truncation;
    private final boolean excludeSpecialTokens;
    private final int shuffleRows;
    private final long seed;
    private long rows = -2;
    private int[] widths;

    private ModelActivationSource(Builder b) {
        this.lm = b.lm;
        this.dataset = b.dataset;
        this.texts = b.texts;
        this.textBatchSize = b.textBatchSize;
        this.maxLength = b.maxLength;
        this.truncation = b.truncation;
        this.excludeSpecialTokens = b.excludeSpecialTokens;
        this.shuffleRows = b.shuffleRows;
        this.seed = b.seed;
        if (!lm.hasTokenizer()) {
            throw new IllegalStateException("this model has no tokenizer (no tokenizer.json), so it cannot read texts;"
                    + " load a model directory with tokenizer.json to train on texts");
        }
        if (b.layers == null || b.layers.isEmpty()) {
            throw new IllegalArgumentException("no layers given: name at least one, e.g. 'transformer.h.0'");
        }
        if (texts != null && texts.isEmpty()) {
            throw new IllegalArgumentException("the text list is empty: give at least one text to train on");
        }
        if (dataset != null && dataset.length().isPresent() && dataset.length().getAsLong() == 0) {
            throw new IllegalArgumentException("dataset '" + dataset.describe() + "' is empty: no texts to train on");
        }
        List<String> names = new ArrayList<>();
        List<String> canon = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        for (String layer : b.layers) {
            String name = lm.layers().resolve(layer);
            if (!name.isEmpty() && !lm.layers().module(name).isCallable()) {
                throw new IllegalArgumentException("layer '" + layer + "' is a container that never runs; train on"
                        + " one of its children, e.g. '" + lm.layers().module(name).children().get(0).name() + "'");
            }
            if (names.contains(layer)) {
                continue;
            }
            names.add(layer);
            if (!canon.contains(name)) {
                canon.add(name);
            }
            index.add(canon.indexOf(name));
        }
        this.layers = List.copyOf(names);
        this.canonical = List.copyOf(canon);
        this.layerIndex = index.stream().mapToInt(Integer::intValue).toArray();
        this.inference = InferenceOptions.defaults().withMaxLength(maxLength).withTruncation(truncation)
                .withPaddingSide(PaddingSide.RIGHT).withStopAfterLayer(lm.layers().lastInModelOrder(canonical));
    }

    /**
     * A source over a list of texts; configure it with the builder's setters.
     *
     * @param lm the model, which needs a tokenizer
     * @param texts the texts
     * @param layers names, aliases or indices of the layers
     * @return a builder
     */
    public static Builder builder(LanguageModel lm, List<String> texts, List<String> layers) {
        Objects.requireNonNull(texts, "texts");
        return new Builder(lm, null, List.copyOf(texts), layers);
    }

    /**
     * A source over a dataset (read again on every epoch); configure it with the builder's setters.
     *
     * @param lm the model, which needs a tokenizer
     * @param dataset the texts
     * @param layers names, aliases or indices of the layers
     * @return a builder
     */
    public static Builder builder(LanguageModel lm, TextDataset dataset, List<String> layers) {
        return new Builder(lm, Objects.requireNonNull(dataset, "dataset"), null, layers);
    }

    @Override
    public List<String> layers() {
        return layers;
    }

    /** Width of a layer's rows: the product of its output's dimensions after [batch, seq], from one probe forward. */
    @Override
    public int width(String layer) {
        int i = layers.indexOf(layer);
        if (i < 0) {
            throw new io.microw.sae.SaeException("the source has no layer '" + layer + "'; it has " + layers);
        }
        return widths()[layerIndex[i]];
    }

    /** Kept tokens in one pass over the texts, counted by tokenizing only (no forward); computed once. */
    @Override
    public synchronized long rowsPerEpoch() {
        if (rows == -2) {
            long n = 0;
            Iterator<List<String>> it = textBatches();
            while (it.hasNext()) {
                Encodings enc = lm.inference().tokenize(it.next(), inference);
                for (int b = 0; b < enc.batchSize(); b++) {
                    for (int s = 0; s < enc.seqLength(); s++) {
                        if (kept(enc, b, s)) {
                            n++;
                        }
                    }
                }
            }
            rows = n;
        }
        return rows;
    }

    @Override
    public Iterator<Map<String, float[][]>> batches(int size, int epochs) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + size);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        Iterator<float[][]> tokens = new TokenRows(epochs);
        Iterator<float[][]> mixed = shuffleRows >= 2 ? new ShuffleBuffer<>(tokens, shuffleRows, new Random(seed)) : tokens;
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return mixed.hasNext();
            }

            @Override
            public Map<String, float[][]> next() {
                if (!mixed.hasNext()) {
                    throw new NoSuchElementException();
                }
                List<float[][]> batch = new ArrayList<>(size);
                while (batch.size() < size && mixed.hasNext()) {
                    batch.add(mixed.next());
                }
                Map<String, float[][]> out = new LinkedHashMap<>();
                for (int l = 0; l < layers.size(); l++) {
                    float[][] rowsOfLayer = new float[batch.size()][];
                    for (int t = 0; t < rowsOfLayer.length; t++) {
                        rowsOfLayer[t] = batch.get(t)[layerIndex[l]];
                    }
                    out.put(layers.get(l), rowsOfLayer);
                }
                return out;
            }
        };
    }

    private Iterator<List<String>> textBatches() {
        Iterator<List<String>> it = texts != null
                ? Datasets.fromTexts("the text list", texts).iterBatches(textBatchSize)
                : dataset.iterBatches(textBatchSize);
        if (!it.hasNext()) {
            throw new IllegalArgumentException((dataset != null ? "dataset '" + dataset.describe() + "'" : "the text list")
                    + " is empty: no texts to train on");
        }
        return it;
    }

    private boolean kept(Encodings enc, int b, int s) {
        return enc.attentionMask()[b][s] == 1 && !(excludeSpecialTokens && enc.specialTokensMask()[b][s] != 0);
    }

    private synchronized int[] widths() {
        if (widths == null) {
            List<String> first = textBatches().next().subList(0, 1);
            Forward f = forward(first);
            int[] w = new int[canonical.size()];
            for (int l = 0; l < w.length; l++) {
                w[l] = f.width[l];
            }
            widths = w;
        }
        return widths;
    }

    /** One forward's captured layers, as heap copies, with the encodings. */
    private record Forward(Encodings encodings, float[][] values, int[] width) {
    }

    /**
     * Runs one forward over {@code batch} with a detector on every requested layer, registered for this forward
     * only and always unregistered (also when the forward throws); the result is closed before returning.
     */
    private Forward forward(List<String> batch) {
        List<Capture> captures = new ArrayList<>();
        try {
            String run = UUID.randomUUID().toString();
            for (String layer : canonical) {
                Capture c = new Capture(layer, "microw-train-" + run + "-" + captures.size());
                lm.layers().registerHook(layer, c);
                captures.add(c);
            }
            try (InferenceResult result = lm.inference().executeInference(batch, inference)) {
                Encodings enc = result.encodings();
                float[][] values = new float[captures.size()][];
                int[] width = new int[captures.size()];
                for (int l = 0; l < captures.size(); l++) {
                    Capture c = captures.get(l);
                    if (c.values == null) {
                        throw new IllegalStateException("layer '" + c.layerSignature() + "' did not run before the"
                                + " forward stopped after '" + result.stoppedAfter().orElse("") + "'");
                    }
                    long[] shape = c.shape;
                    if (shape.length < 3 || shape[0] != enc.batchSize() || shape[1] != enc.seqLength()) {
                        throw new IllegalArgumentException("layer '" + c.layerSignature() + "' gives a tensor of shape "
                                + Arrays.toString(shape) + "; token rows need [batch=" + enc.batchSize() + ", seq="
                                + enc.seqLength() + ", ...]: train on a layer whose output is per token");
                    }
                    long w = 1;
                    for (int i = 2; i < shape.length; i++) {
                        w *= shape[i];
                    }
                    values[l] = c.values;
                    width[l] = (int) w;
                    c.values = null;
                }
                return new Forward(enc, values, width);
            }
        } finally {
            for (Capture c : captures) {
                lm.layers().unregisterHook(c.id());
            }
        }
    }

    /** Tokens of all epochs in order, each as one row per canonical layer; one forward's rows at a time. */
    private final class TokenRows implements Iterator<float[][]> {

        private final int epochs;
        private int epoch;
        private Iterator<List<String>> textBatches;
        private Iterator<float[][]> current = Collections.emptyIterator();

        TokenRows(int epochs) {
            this.epochs = epochs;
        }

        @Override
        public boolean hasNext() {
            while (!current.hasNext()) {
                if (textBatches == null) {
                    if (epoch >= epochs) {
                        return false;
                    }
                    textBatches = textBatches();
                }
                if (!textBatches.hasNext()) {
                    textBatches = null;
                    epoch++;
                    continue;
                }
                current = rowsOf(forward(textBatches.next())).iterator();
            }
            return true;
        }

        @Override
        public float[][] next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return current.next();
        }
    }

    /** The kept tokens of one forward, text by text and position by position, each with every layer's row. */
    private List<float[][]> rowsOf(Forward f) {
        Encodings enc = f.encodings();
        int seq = enc.seqLength();
        List<float[][]> out = new ArrayList<>();
        for (int b = 0; b < enc.batchSize(); b++) {
            for (int s = 0; s < seq; s++) {
                if (!kept(enc, b, s)) {
                    continue;
                }
                float[][] token = new float[f.values().length][];
                for (int l = 0; l < token.length; l++) {
                    int w = f.width()[l];
                    int from = (b * seq + s) * w;
                    token[l] = Arrays.copyOfRange(f.values()[l], from, from + w);
                }
                out.add(token);
            }
        }
        return out;
    }

    /** Keeps a float32 heap copy of its layer's output in the current forward. */
    private static final class Capture extends BaseHook implements Detector {

        private volatile float[] values;
        private volatile long[] shape;

        Capture(String canonicalLayer, String id) {
            super(HookType.FORWARD, canonicalLayer, id);
        }

        @Override
        public void processActivations(HookCall call) {
            NDArray a = call.activations();
            if (a == null) {
                return;
            }
            shape = a.getShape().getShape();
            values = a.toDevice(Device.cpu(), false).toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    /** Settings of a {@link ModelActivationSource}. */
    public static final class Builder {

        private final LanguageModel lm;
        private final TextDataset dataset;
        private final List<String> texts;
        private final List<String> layers;
        private int textBatchSize = 32;
        private int maxLength;
        private boolean truncation = true;
        private boolean excludeSpecialTokens = true;
        private int shuffleRows = 65_536;
        private long seed = 42;

        private Builder(LanguageModel lm, TextDataset dataset, List<String> texts, List<String> layers) {
            this.lm = Objects.requireNonNull(lm, "lm");
            this.dataset = dataset;
            this.texts = texts;
            this.layers = layers == null ? null : List.copyOf(layers);
        }

        /**
         * Texts per forward (default 32).
         *
         * @param size texts per forward, at least 1
         * @return this builder
         */
        public Builder textBatchSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("text batch size must be at least 1, got " + size);
            }
            this.textBatchSize = size;
            return this;
        }

        /**
         * Longest tokenized text (default 0: the model's context).
         *
         * @param length the maximum number of tokens, or 0
         * @return this builder
         */
        public Builder maxLength(int length) {
            if (length < 0) {
                throw new IllegalArgumentException("max length must be >= 0 (0 = model context), got " + length);
            }
            this.maxLength = length;
            return this;
        }

        /**
         * Truncate longer texts to the maximum length (default true; false makes a longer text an error).
         *
         * @param on whether to truncate
         * @return this builder
         */
        public Builder truncation(boolean on) {
            this.truncation = on;
            return this;
        }

        /**
         * Drop special tokens (BOS/EOS/pad..., from the tokenizer's special-token mask); default true.
         *
         * @param on whether to drop special tokens
         * @return this builder
         */
        public Builder excludeSpecialTokens(boolean on) {
            this.excludeSpecialTokens = on;
            return this;
        }

        /**
         * Mix tokens in a buffer of this many (default 65,536; 0 = keep the texts' order; else at least 2).
         *
         * @param rows the buffer size in tokens
         * @return this builder
         */
        public Builder shuffleBufferRows(int rows) {
            if (rows < 0 || rows == 1) {
                throw new IllegalArgumentException("shuffle buffer must be 0 (off) or at least 2 rows, got " + rows);
            }
            this.shuffleRows = rows;
            return this;
        }

        /**
         * Seed of the shuffle (default 42).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * The source; checks the layer names (an unknown one is an {@code UnknownLayerException}) and the texts.
         *
         * @return the source
         */
        public ModelActivationSource build() {
            return new ModelActivationSource(this);
        }
    }
}
