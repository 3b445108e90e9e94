package io.microw.lm;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.microw.models.WeightProcessing;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where and in what precision {@link LanguageModel#load(java.nio.file.Path, LoadOptions)} puts a model's weights:
 * a DJL {@link Device} (default CPU; {@code Device.gpu()} needs DJL's CUDA build of PyTorch, see
 * {@link LanguageModel}) and a dtype (default float32; float16 only on a GPU, since microw computes in float32 or
 * wider on the CPU; float64 on any device, meant for gradient checks such as finite differences: the weights are
 * the checkpoint's widened and the whole forward computes in float64, slower than float32 and with twice its
 * memory). bfloat16 is refused: DJL 0.36's PyTorch engine aborts the whole JVM when it creates or converts a
 * bfloat16 array (bfloat16 checkpoints load fine, widened to float32). Optionally TransformerLens' weight
 * processing ({@link WeightProcessing}: {@code fold_ln}, {@code center_writing_weights}, {@code center_unembed},
 * {@code fold_value_biases}) is applied once the weights are loaded; all off by default, so microw keeps Hugging Face's
 * weights and its hook values are Hugging Face's (TransformerLens' {@code from_pretrained} turns all four on).
 * Optionally whether texts get a BOS token first ({@link #withPrependBos}, TransformerLens' {@code prepend_bos});
 * unset, texts keep the tokenizer's own special tokens unless an attached SAE asks otherwise (see
 * {@link InferenceEngine#prependBos}). Immutable; each {@code with...} returns a changed copy.
 */
public final class LoadOptions {

    private static final Set<DataType> DTYPES = Set.of(DataType.FLOAT32, DataType.FLOAT16, DataType.FLOAT64);
    private static final LoadOptions DEFAULTS = new LoadOptions(Device.cpu(), DataType.FLOAT32,
            WeightProcessing.none(), null);

    private final Device device;
    private final DataType dtype;
    private final WeightProcessing processing;
    private final Boolean prependBos;

    private LoadOptions(Device device, DataType dtype, WeightProcessing processing, Boolean prependBos) {
        this.device = device;
        this.dtype = dtype;
        this.processing = processing;
        this.prependBos = prependBos;
    }

    /**
     * CPU, float32, Hugging Face's weights unprocessed.
     *
     * @return the default options
     */
    public static LoadOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The device the weights live on and the forward runs on.
     *
     * @return the device
     */
    public Device device() {
        return device;
    }

    /**
     * The precision of the weights.
     *
     * @return the data type
     */
    public DataType dtype() {
        return dtype;
    }

    /**
     * These options with another device for the weights and the forward.
     *
     * @param value the device
     * @return the changed copy
     */
    public LoadOptions withDevice(Device value) {
        return new LoadOptions(Objects.requireNonNull(value, "device"), dtype, processing, prependBos);
    }

    /**
     * float32, float16 (needs a GPU device; checked when the model loads) or float64 (for gradient checks: slower,
     * twice float32's memory).
     *
     * @param value float32, float16 or float64
     * @return the changed copy
     */
    public LoadOptions withDtype(DataType value) {
        Objects.requireNonNull(value, "dtype");
        if (value == DataType.BFLOAT16) {
            throw new IllegalArgumentException("dtype bfloat16 is not supported: DJL's PyTorch engine (0.36) aborts the"
                    + " JVM when it creates or converts bfloat16 arrays; use float16 on a GPU, or float32");
        }
        if (!DTYPES.contains(value)) {
            throw new IllegalArgumentException("dtype " + value + " is not supported for weights; use float32,"
                    + " float64, or float16 on a GPU");
        }
        return new LoadOptions(device, value, processing, prependBos);
    }

    /**
     * The TransformerLens weight processing applied after loading.
     *
     * @return the processing (none by default)
     */
    public WeightProcessing weightProcessing() {
        return processing;
    }

    /**
     * These options with all four weight-processing settings at once ({@link WeightProcessing#transformerLensDefaults()}
     * for what TransformerLens' {@code from_pretrained} does).
     *
     * @param value the processing
     * @return the changed copy
     */
    public LoadOptions withWeightProcessing(WeightProcessing value) {
        return new LoadOptions(device, dtype, Objects.requireNonNull(value, "weight processing"), prependBos);
    }

    /**
     * TransformerLens' {@code fold_ln}: each norm's scale (and a LayerNorm's bias) folded into the layers reading it,
     * on LayerNorm and RMSNorm decoders; norm outputs then lack the scale.
     *
     * @param value whether to fold
     * @return the changed copy
     */
    public LoadOptions withFoldLn(boolean value) {
        WeightProcessing p = processing;
        return withWeightProcessing(new WeightProcessing(value, p.centerWritingWeights(), p.centerUnembed(),
                p.foldValueBiases()));
    }

    /**
     * TransformerLens' {@code center_writing_weights}: weights writing to the residual stream centred over d_model;
     * LayerNorm decoders only (GPT-2, GPT-NeoX), refused at load for others.
     *
     * @param value whether to centre
     * @return the changed copy
     */
    public LoadOptions withCenterWritingWeights(boolean value) {
        WeightProcessing p = processing;
        return withWeightProcessing(new WeightProcessing(p.foldLn(), value, p.centerUnembed(), p.foldValueBiases()));
    }

    /**
     * TransformerLens' {@code center_unembed}: the output head centred over the vocabulary (logits shift by a
     * constant per position); refused at load for a model that soft-caps its logits (Gemma 2).
     *
     * @param value whether to centre
     * @return the changed copy
     */
    public LoadOptions withCenterUnembed(boolean value) {
        WeightProcessing p = processing;
        return withWeightProcessing(new WeightProcessing(p.foldLn(), p.centerWritingWeights(), value,
                p.foldValueBiases()));
    }

    /**
     * TransformerLens' {@code fold_value_biases}: each attention's value bias folded into its output bias.
     *
     * @param value whether to fold
     * @return the changed copy
     */
    public LoadOptions withFoldValueBiases(boolean value) {
        WeightProcessing p = processing;
        return withWeightProcessing(new WeightProcessing(p.foldLn(), p.centerWritingWeights(), p.centerUnembed(),
                value));
    }

    /**
     * Whether texts run through the model get a BOS token first, when set: TransformerLens' {@code prepend_bos}.
     *
     * @return the setting, or empty (the default) for the tokenizer's own special tokens, or an attached SAE's
     *         {@code prepend_bos}
     */
    public Optional<Boolean> prependBos() {
        return Optional.ofNullable(prependBos);
    }

    /**
     * These options with TransformerLens' {@code prepend_bos} set for every text the model tokenizes
     * ({@code executeInference}, {@code run} on texts, {@code generate} on prompts, saving activations): true puts
     * the tokenizer's BOS token first in every row (once: a tokenizer that adds one itself, like Llama's, is not
     * doubled), false leaves it out (even where the tokenizer adds one). Set, it overrides an attached SAE's
     * {@code prepend_bos}; a per-call {@link InferenceOptions#withPrependBos} overrides it.
     *
     * @param value whether every text starts with the BOS token
     * @return the changed copy
     */
    public LoadOptions withPrependBos(boolean value) {
        return new LoadOptions(device, dtype, processing, value);
    }

    /** Checks the combination: float16 needs a GPU device. */
    void validate() {
        if (dtype == DataType.FLOAT16 && !device.isGpu()) {
            throw new IllegalArgumentException("dtype " + dtype + " was asked for on device " + device + ", but on"
                    + " the CPU microw computes in float32 or float64 only; use one of those there, or a GPU device"
                    + " (LoadOptions.withDevice(Device.gpu())) for float16");
        }
    }

    @Override
    public String toString() {
        return "LoadOptions{device=" + device + ", dtype=" + dtype + ", weightProcessing=" + processing
                + (prependBos == null ? "" : ", prependBos=" + prependBos) + "}";
    }
}
