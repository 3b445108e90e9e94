package io.microw.steering;

import io.microw.io.DType;
import io.microw.io.SafetensorsException;
import io.microw.io.SafetensorsFile;
import io.microw.io.SafetensorsWriter;
import io.microw.io.TensorInfo;
import io.microw.lm.InferenceOptions;
import io.microw.lm.LanguageModel;
import io.microw.tokenizer.Encodings;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A direction in one layer's output space that is added to the model's activations to steer it, without an SAE.
 * {@link #contrastive} builds one by contrastive activation addition: the mean of the layer's activations over
 * a set of positive texts minus their mean over negative texts. {@link #apply} adds
 * {@code coefficient × vector} to the layer's output at the positions of a {@link PositionScope}.
 *
 * <pre>{@code
 * SteeringVector v = SteeringVector.contrastive(lm, "layer_2", positives, negatives, ContrastiveOptions.defaults());
 * String id = v.apply(lm, 4.0, PositionScope.ALL);
 * lm.inference().generate(prompts, GenerationConfig.greedy(20));
 * lm.layers().unregisterHook(id);
 * v.save(Path.of("he-said.safetensors"));
 * }</pre>
 *
 * Saved as safetensors: one F32 tensor {@code vector} of shape [d] and string metadata (format, model, layer,
 * text and token counts, token mode). Immutable.
 */
public final class SteeringVector {

    /** The safetensors tensor name of the vector. */
    public static final String TENSOR = "vector";
    /** Metadata value of {@code format}. */
    public static final String FORMAT = "microw.steering_vector";
    static final String VERSION = "1";

    private final float[] vector;
    private final String model;
    private final String layer;
    private final int positiveTexts;
    private final int negativeTexts;
    private final long positiveTokens;
    private final long negativeTokens;
    private final TokenMode tokenMode;

    /**
     * A vector with its provenance. {@code model} and {@code layer} name where it was computed; the counts say
     * how many texts and token rows went into each mean.
     *
     * @param vector the components; copied, all finite
     * @param model the model it was computed on, or null if unknown
     * @param layer canonical name of the layer
     * @param positiveTexts number of positive texts
     * @param negativeTexts number of negative texts
     * @param positiveTokens token rows averaged for the positive mean
     * @param negativeTokens token rows averaged for the negative mean
     * @param tokenMode which tokens were averaged
     */
    public SteeringVector(float[] vector, String model, String layer, int positiveTexts, int negativeTexts,
                          long positiveTokens, long negativeTokens, TokenMode tokenMode) {
        Objects.requireNonNull(vector, "vector");
        if (vector.length == 0) {
            throw new SteeringException("a steering vector needs at least one component, got length 0");
        }
        for (int i = 0; i < vector.length; i++) {
            if (!Float.isFinite(vector[i])) {
                throw new SteeringException("steering vector component " + i + " is " + vector[i]
                        + "; every component must be finite");
            }
        }
        if (layer == null || layer.isBlank()) {
            throw new SteeringException("a steering vector needs the name of its layer");
        }
        this.vector = vector.clone();
        this.model = model == null ? "" : model;
        this.layer = layer;
        this.positiveTexts = positiveTexts;
        this.negativeTexts = negativeTexts;
        this.positiveTokens = positiveTokens;
        this.negativeTokens = negativeTokens;
        this.tokenMode = Objects.requireNonNull(tokenMode, "tokenMode");
    }

    /**
     * Contrastive activation addition: mean of {@code layer}'s output over the real tokens of the positive texts
     * minus the mean over the negative texts (each mean pooled over all counted tokens of its set). The options
     * choose all real tokens or only each text's last one; padding and special tokens the tokenizer adds are never
     * counted. The model runs without any hooks (registered detectors see nothing, controllers change nothing).
     *
     * @param layer name, alias or index of the layer, e.g. {@code "layer_2"}
     * @param lm the model to run, which needs a tokenizer
     * @param positiveTexts texts showing the concept, at least one
     * @param negativeTexts texts without it, at least one
     * @param options token mode, batch size and maximum length
     * @return the vector, with its provenance
     */
    public static SteeringVector contrastive(LanguageModel lm, String layer, List<String> positiveTexts,
                                             List<String> negativeTexts, ContrastiveOptions options) {
        Objects.requireNonNull(lm, "lm");
        Objects.requireNonNull(options, "options");
        checkTexts(positiveTexts, "positive");
        checkTexts(negativeTexts, "negative");
        if (!lm.hasTokenizer()) {
            throw new SteeringException("this model has no tokenizer (no tokenizer.json): cannot tokenize the "
                    + "contrastive texts");
        }
        String canonical = lm.layers().resolve(layer);
        Mean positive = mean(lm, canonical, positiveTexts, options);
        Mean negative = mean(lm, canonical, negativeTexts, options);
        float[] v = new float[positive.sum.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (positive.sum[i] / positive.rows - negative.sum[i] / negative.rows);
        }
        return new SteeringVector(v, modelName(lm), canonical, positiveTexts.size(), negativeTexts.size(),
                positive.rows, negative.rows, options.tokenMode());
    }

    private static void checkTexts(List<String> texts, String which) {
        if (texts == null || texts.isEmpty()) {
            throw new SteeringException("no " + which + " texts given: contrastive activation addition needs at "
                    + "least one text in each set");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null || texts.get(i).isEmpty()) {
                throw new SteeringException(which + " text " + i + " is " + (texts.get(i) == null ? "null" : "empty"));
            }
        }
    }

    private record Mean(double[] sum, long rows) {
    }

    private static Mean mean(LanguageModel lm, String layer, List<String> texts, ContrastiveOptions options) {
        InferenceOptions tokenizing = InferenceOptions.defaults().withMaxLength(options.maxLength());
        double[] sum = null;
        long rows = 0;
        for (int start = 0; start < texts.size(); start += options.batchSize()) {
            List<String> chunk = texts.subList(start, Math.min(texts.size(), start + options.batchSize()));
            Encodings enc = lm.inference().tokenize(chunk, tokenizing);
            LayerRunner.Output out = LayerRunner.run(lm, layer, enc.inputIds(), enc.attentionMask());
            if (sum == null) {
                sum = new double[out.width()];
            }
            long[][] mask = enc.attentionMask();
            long[][] special = enc.specialTokensMask();
            for (int i = 0; i < chunk.size(); i++) {
                int last = -1;
                for (int j = 0; j < out.seq(); j++) {
                    if (mask[i][j] == 0 || (special != null && special[i][j] != 0)) {
                        continue;
                    }
                    last = j;
                    if (options.tokenMode() == TokenMode.ALL_TOKENS) {
                        add(sum, out, i, j);
                        rows++;
                    }
                }
                if (last < 0) {
                    throw new SteeringException("text " + (start + i) + " (\"" + chunk.get(i) + "\") has no real "
                            + "tokens other than special tokens");
                }
                if (options.tokenMode() == TokenMode.LAST_TOKEN) {
                    add(sum, out, i, last);
                    rows++;
                }
            }
        }
        return new Mean(sum, rows);
    }

    private static void add(double[] sum, LayerRunner.Output out, int row, int pos) {
        int base = (row * out.seq() + pos) * out.width();
        for (int k = 0; k < sum.length; k++) {
            sum[k] += out.values()[base + k];
        }
    }

    private static String modelName(LanguageModel lm) {
        return lm.directory().map(p -> p.getFileName().toString()).orElse(lm.config().architecture());
    }

    /**
     * The vector's components (a copy).
     *
     * @return a copy of the components
     */
    public float[] values() {
        return vector.clone();
    }

    /**
     * Length of the vector: the width of the layer it was computed on.
     *
     * @return the number of components
     */
    public int dimension() {
        return vector.length;
    }

    /**
     * Euclidean norm.
     *
     * @return the norm
     */
    public double norm() {
        double s = 0;
        for (float f : vector) {
            s += (double) f * f;
        }
        return Math.sqrt(s);
    }

    /**
     * The model it was computed on (its directory name, or its architecture), "" if unknown.
     *
     * @return the model's name, possibly empty
     */
    public String model() {
        return model;
    }

    /**
     * Canonical name of the layer whose output it lives in.
     *
     * @return the layer's canonical name
     */
    public String layer() {
        return layer;
    }

    /**
     * Number of positive texts the vector was computed from.
     *
     * @return the number of positive texts
     */
    public int positiveTexts() {
        return positiveTexts;
    }

    /**
     * Number of negative texts the vector was computed from.
     *
     * @return the number of negative texts
     */
    public int negativeTexts() {
        return negativeTexts;
    }

    /**
     * Token rows averaged for the positive mean (one per text in LAST_TOKEN mode).
     *
     * @return the number of positive token rows
     */
    public long positiveTokens() {
        return positiveTokens;
    }

    /**
     * Token rows averaged for the negative mean (one per text in LAST_TOKEN mode).
     *
     * @return the number of negative token rows
     */
    public long negativeTokens() {
        return negativeTokens;
    }

    /**
     * Which tokens of each text were averaged.
     *
     * @return the token mode
     */
    public TokenMode tokenMode() {
        return tokenMode;
    }

    /**
     * This vector times {@code factor}, with the same metadata.
     *
     * @param factor the factor, finite
     * @return a new vector
     */
    public SteeringVector scaled(double factor) {
        checkCoefficient(factor);
        float[] out = vector.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (factor * out[i]);
        }
        return new SteeringVector(out, model, layer, positiveTexts, negativeTexts, positiveTokens, negativeTokens,
                tokenMode);
    }

    /**
     * A controller on this vector's layer that adds {@code coefficient × vector} to the layer's output at the
     * positions of {@code scope}. Register it with {@code lm.layers().registerHook(vector.layer(), controller)},
     * or use {@link #apply}, which also checks the layer's width first.
     *
     * @param coefficient the factor the vector is multiplied by
     * @param scope the positions to edit
     * @return a new, unregistered controller
     */
    public SteeringController controller(double coefficient, PositionScope scope) {
        checkCoefficient(coefficient);
        return new SteeringController(this, coefficient, Objects.requireNonNull(scope, "scope"));
    }

    /**
     * Registers {@link #controller} on this vector's layer of {@code lm} and returns the hook id (remove it with
     * {@code lm.layers().unregisterHook(id)}). Fails before any forward when the layer is unknown to {@code lm} or
     * its output width differs from the vector's length.
     *
     * @param lm the model to steer
     * @param coefficient the factor the vector is multiplied by
     * @param scope the positions to edit
     * @return the id of the registered hook
     */
    public String apply(LanguageModel lm, double coefficient, PositionScope scope) {
        Objects.requireNonNull(lm, "lm");
        SteeringController controller = controller(coefficient, scope);
        String canonical = lm.layers().resolve(layer);
        int width = LayerRunner.width(lm, canonical);
        if (width != vector.length) {
            throw new SteeringException("steering vector has length " + vector.length + " (computed on layer '"
                    + layer + "' of " + (model.isEmpty() ? "an unknown model" : "'" + model + "'")
                    + ") but layer '" + canonical + "' of this model has width " + width);
        }
        return lm.layers().registerHook(canonical, controller);
    }

    private static void checkCoefficient(double coefficient) {
        if (!Double.isFinite(coefficient)) {
            throw new SteeringException("steering coefficient must be a finite number, got " + coefficient);
        }
    }

    /**
     * The metadata saved with the vector.
     *
     * @return the metadata, by key
     */
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", VERSION);
        m.put("model", model);
        m.put("layer", layer);
        m.put("d", Integer.toString(vector.length));
        m.put("positive_texts", Integer.toString(positiveTexts));
        m.put("negative_texts", Integer.toString(negativeTexts));
        m.put("positive_tokens", Long.toString(positiveTokens));
        m.put("negative_tokens", Long.toString(negativeTokens));
        m.put("token_mode", tokenMode.name());
        m.put("norm", Double.toString(norm()));
        return m;
    }

    /**
     * Writes the vector and its metadata as safetensors, atomically (a temp file renamed into place).
     *
     * @param file the file to write
     */
    public void save(Path file) {
        Objects.requireNonNull(file, "file");
        SafetensorsWriter writer = new SafetensorsWriter().putFloats(TENSOR, new long[] {vector.length}, vector);
        metadata().forEach(writer::metadata);
        try {
            writer.write(file);
        } catch (SafetensorsException e) {
            throw new SteeringException("cannot save steering vector to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a vector written by {@link #save}. Every problem (not a safetensors file, no {@code vector} tensor,
     * wrong dtype or shape, non-finite values, missing or inconsistent metadata) is a {@link SteeringException}
     * naming the file.
     *
     * @param file a file written by {@link #save}
     * @return the vector
     */
    public static SteeringVector load(Path file) {
        Objects.requireNonNull(file, "file");
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            Map<String, String> meta = st.metadata();
            String format = meta.get("format");
            if (!FORMAT.equals(format)) {
                throw new SteeringException(file + ": not a microw steering vector (metadata format is "
                        + (format == null ? "missing" : "'" + format + "'") + ", expected '" + FORMAT + "')");
            }
            if (!VERSION.equals(meta.get("version"))) {
                throw new SteeringException(file + ": steering vector format version " + meta.get("version")
                        + " is not supported (this microw reads version " + VERSION + ")");
            }
            if (!st.contains(TENSOR)) {
                throw new SteeringException(file + ": no tensor '" + TENSOR + "'; the file has " + st.names());
            }
            TensorInfo info = st.info(TENSOR);
            if (info.dtype() != DType.F32) {
                throw new SteeringException(file + ": tensor '" + TENSOR + "' has dtype " + info.dtype()
                        + ", expected F32");
            }
            long[] shape = info.shape();
            if (shape.length != 1 || shape[0] < 1) {
                throw new SteeringException(file + ": tensor '" + TENSOR + "' has shape " + Arrays.toString(shape)
                        + ", expected [d] with d >= 1");
            }
            long d = parseLong(file, meta, "d");
            if (d != shape[0]) {
                throw new SteeringException(file + ": metadata says d=" + d + " but tensor '" + TENSOR
                        + "' has length " + shape[0]);
            }
            float[] values = st.readFloats(TENSOR);
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new SteeringException(file + ": component " + i + " of the steering vector is "
                            + values[i] + "; the file is corrupt");
                }
            }
            String layer = required(file, meta, "layer");
            TokenMode mode;
            String modeName = required(file, meta, "token_mode");
            try {
                mode = TokenMode.valueOf(modeName);
            } catch (IllegalArgumentException e) {
                throw new SteeringException(file + ": unknown token_mode '" + modeName + "'; expected one of "
                        + Arrays.toString(TokenMode.values()));
            }
            return new SteeringVector(values, meta.getOrDefault("model", ""), layer,
                    (int) parseLong(file, meta, "positive_texts"), (int) parseLong(file, meta, "negative_texts"),
                    parseLong(file, meta, "positive_tokens"), parseLong(file, meta, "negative_tokens"), mode);
        } catch (SafetensorsException e) {
            throw new SteeringException("cannot load steering vector: " + e.getMessage(), e);
        }
    }

    private static String required(Path file, Map<String, String> meta, String key) {
        String value = meta.get(key);
        if (value == null || value.isBlank()) {
            throw new SteeringException(file + ": metadata '" + key + "' is missing; it has " + meta.keySet());
        }
        return value;
    }

    private static long parseLong(Path file, Map<String, String> meta, String key) {
        String value = required(file, meta, key);
        try {
            long v = Long.parseLong(value.trim());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new SteeringException(file + ": metadata '" + key + "' is '" + value
                    + "', expected a non-negative integer");
        }
    }

    @Override
    public String toString() {
        return "SteeringVector[layer=" + layer + ", d=" + vector.length + ", norm=" + String.format("%.4g", norm())
                + ", model=" + model + ", " + tokenMode + ", texts +" + positiveTexts + "/-" + negativeTexts + "]";
    }

}
