package io.microw.lm;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.MicrowException;
import io.microw.io.Checkpoints;
import io.microw.io.HfConfig;
import io.microw.io.WeightSource;
import io.microw.io.hub.HubResolver;
import io.microw.io.hub.PretrainedOptions;
import io.microw.io.hub.RepoId;
import io.microw.models.CheckpointParameters;
import io.microw.models.ModelConfig;
import io.microw.models.ModelFamilies;
import io.microw.models.ModelFamily;
import io.microw.models.Init;
import io.microw.models.ParameterSource;
import io.microw.models.RandomParameters;
import io.microw.models.WeightProcessing;
import io.microw.models.TransformerModel;
import io.microw.tokenizer.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A Hugging Face language model running in Java: its named {@link #layers()} (where hooks go), its
 * {@link #inference()} engine and its {@link #tokenizer()}. Get one as Python users do, with
 * {@link #fromPretrained(String)} ({@code "openai-community/gpt2"} from the Hub through the standard Hugging Face
 * cache, which a Python cache fills as well, or a local directory), or from a directory with {@link #load(Path)};
 * close it to free its weights.
 *
 * <h2>Running on a GPU</h2>
 * By default the weights live on the CPU and the forward computes in float32 there
 * ({@code LoadOptions.defaults().withDtype(DataType.FLOAT64)} computes in float64 instead, slower, for gradient
 * checks). To run on an NVIDIA GPU:
 * <ol>
 * <li>replace the {@code ai.djl.pytorch:pytorch-native-cpu} dependency (classifier {@code linux-x86_64}) with
 * DJL's CUDA build of the same PyTorch version, e.g. {@code ai.djl.pytorch:pytorch-native-cu128}, version
 * {@code ${pytorch.version}} (2.7.1 here), classifier {@code linux-x86_64}; the CUDA flavours DJL publishes for a
 * PyTorch version are listed on Maven Central, and the machine's NVIDIA driver must support that CUDA version;</li>
 * <li>pass the device when loading: {@code LanguageModel.load(dir, LoadOptions.defaults().withDevice(Device.gpu()))}
 * or {@code LanguageModel.fromPretrained(id, PretrainedOptions.defaults().withDevice(Device.gpu()))}; optionally
 * {@code withDtype(DataType.FLOAT16)} to halve the weights' memory (GPU only; bfloat16 is refused, see
 * {@link LoadOptions}).</li>
 * </ol>
 * Every forward then creates its inputs on the model's device; detectors copy what they keep to the CPU.
 * Asking for a GPU that the loaded PyTorch build cannot see is an {@link IllegalArgumentException}.
 */
public final class LanguageModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LanguageModel.class);

    static {
        // The PyTorch native library ships in a jar on the classpath: never download anything at run time.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final Path directory;
    private final LoadOptions loadOptions;
    private final NDManager manager;
    private final TransformerModel model;
    private final Tokenizer tokenizer;
    private final Layers layers;
    private final InferenceEngine inference;
    private final Activations activations;
    private final ModelParameters parameters;

    private LanguageModel(Path directory, LoadOptions loadOptions, NDManager manager, TransformerModel model,
            ModelParameters parameters, Tokenizer tokenizer) {
        this.directory = directory;
        this.loadOptions = loadOptions;
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.layers = new Layers(model);
        this.inference = new InferenceEngine(model, layers, tokenizer, manager, loadOptions);
        this.activations = new Activations(this);
        this.parameters = parameters;
    }

    /**
     * Loads a model the way {@code from_pretrained} does: {@code idOrPath} is a local model directory, or else a
     * Hugging Face Hub repo id such as {@code openai-community/gpt2}, found in the Hugging Face cache or downloaded
     * into it (revision {@code main}, settings from {@code HF_TOKEN}, {@code HF_HOME}, {@code HF_HUB_CACHE},
     * {@code HF_HUB_OFFLINE}, {@code HF_ENDPOINT}), onto the CPU in float32.
     *
     * @param idOrPath a model directory or a Hub repo id
     * @return the loaded model; close it to free its weights
     */
    public static LanguageModel fromPretrained(String idOrPath) {
        return fromPretrained(idOrPath, PretrainedOptions.defaults());
    }

    /**
     * Like {@link #fromPretrained(String)} with a revision, token, cache folder, offline mode, endpoint, progress
     * listener, device and dtype from {@code options}. An {@code idOrPath} that is neither an existing directory
     * nor a valid repo id is an {@link IllegalArgumentException}; Hub failures are
     * {@link io.microw.io.hub.HubException}s that say what to do.
     *
     * @param idOrPath a model directory or a Hub repo id
     * @param options  Hub, cache, device and dtype settings
     * @return the loaded model; close it to free its weights
     */
    public static LanguageModel fromPretrained(String idOrPath, PretrainedOptions options) {
        return fromPretrained(idOrPath, options, WeightProcessing.none());
    }

    /**
     * Like {@link #fromPretrained(String, PretrainedOptions)}, with TransformerLens' weight processing applied once
     * the weights are loaded (see {@link LoadOptions#withWeightProcessing}).
     *
     * @param idOrPath   a model directory or a Hub repo id
     * @param options    Hub, cache, device and dtype settings
     * @param processing the weight processing ({@link WeightProcessing#none()} for Hugging Face's weights)
     * @return the loaded model; close it to free its weights
     */
    public static LanguageModel fromPretrained(String idOrPath, PretrainedOptions options,
            WeightProcessing processing) {
        Objects.requireNonNull(idOrPath, "model id or path");
        Objects.requireNonNull(options, "options");
        LoadOptions load = LoadOptions.defaults().withDevice(options.device()).withDtype(options.dtype())
                .withWeightProcessing(processing);
        load.validate();
        Optional<Path> local = localDirectory(idOrPath);
        if (local.isPresent()) {
            return load(local.get(), load);
        }
        if (!RepoId.isValid(idOrPath) && looksLikePath(idOrPath)) {
            throw new IllegalArgumentException("'" + idOrPath + "' is neither an existing model directory nor a valid"
                    + " Hugging Face repo id (like 'openai-community/gpt2')");
        }
        return load(HubResolver.snapshot(idOrPath, options), load);
    }

    /**
     * Loads a model directory as {@code save_pretrained} writes it: {@code config.json}, {@code model.safetensors}
     * (or a sharded index) and, optionally, {@code tokenizer.json} with {@code tokenizer_config.json}; on the CPU
     * in float32.
     *
     * @param dir the model directory
     * @return the loaded model; close it to free its weights
     */
    public static LanguageModel load(Path dir) {
        return load(dir, LoadOptions.defaults());
    }

    /**
     * Converts a BERT encoder exported to ONNX (see {@link io.microw.models.OnnxBertImporter}) and loads it in one
     * step. The conversion goes to a temporary directory that is deleted once the model is loaded (so the model's
     * {@code directory()} no longer exists); use {@code OnnxBertImporter.convert} to keep it.
     *
     * @param onnx          the BERT {@code .onnx} file
     * @param tokenizerJson the model's {@code tokenizer.json}, or {@code null}
     * @return the loaded model; close it to free its weights
     */
    public static LanguageModel fromOnnxBert(Path onnx, Path tokenizerJson) {
        return OnnxBertLoader.load(onnx, tokenizerJson);
    }

    /**
     * Loads a model directory (see {@link #load(Path)}) onto the device and in the dtype of {@code options}.
     *
     * @param dir     the model directory
     * @param options device and dtype
     * @return the loaded model; close it to free its weights
     */
    public static LanguageModel load(Path dir, LoadOptions options) {
        Objects.requireNonNull(options, "options");
        options.validate();
        if (!Files.isDirectory(dir)) {
            throw new MicrowException("model directory " + dir + " does not exist or is not a directory");
        }
        HfConfig raw = HfConfig.read(dir.resolve("config.json"));
        ModelFamily family = ModelFamilies.forModelType(raw.modelType());
        ModelConfig config = family.parseConfig(raw);
        NDManager manager = newManager(options);
        Tokenizer tokenizer = null;
        try (WeightSource weights = Checkpoints.open(dir)) {
            CheckpointParameters params = new CheckpointParameters(weights, manager, family.optionalWeightPrefix());
            ModelParameters recorded = new ModelParameters(cast(params, options.dtype()));
            TransformerModel model = family.build(config, recorded, manager);
            options.weightProcessing().apply(model);
            List<String> unused = params.unused();
            if (!unused.isEmpty()) {
                LOG.info("{} tensors in {} are not used by {}: {}", unused.size(), weights.describe(),
                        config.architecture(), unused.size() > 8 ? unused.subList(0, 8) + "..." : unused);
            }
            tokenizer = Tokenizer.existsIn(dir) ? Tokenizer.load(dir) : null;
            return new LanguageModel(dir, options, manager, model, recorded, tokenizer);
        } catch (RuntimeException | Error e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    /**
     * Builds any supported architecture from a config alone, with random weights drawn from {@code seed}.
     *
     * @param raw  the model's config.json
     * @param seed fixes the weights
     * @return the model, without a tokenizer; close it to free its weights
     */
    public static LanguageModel randomInit(HfConfig raw, long seed) {
        return randomInit(raw, seed, LoadOptions.defaults());
    }

    /**
     * Like {@link #randomInit(HfConfig, long)}, on the device and in the dtype of {@code options}.
     *
     * @param raw     the model's config.json
     * @param seed    fixes the weights
     * @param options device and dtype
     * @return the model, without a tokenizer; close it to free its weights
     */
    public static LanguageModel randomInit(HfConfig raw, long seed, LoadOptions options) {
        Objects.requireNonNull(options, "options");
        options.validate();
        ModelFamily family = ModelFamilies.forModelType(raw.modelType());
        ModelConfig config = family.parseConfig(raw);
        NDManager manager = newManager(options);
        try {
            double std = raw.getDouble("initializer_range", 0.02);
            ParameterSource random = cast(new RandomParameters(manager, seed, std), options.dtype());
            ModelParameters params = new ModelParameters(random);
            TransformerModel model = family.build(config, params, manager);
            options.weightProcessing().apply(model);
            return new LanguageModel(null, options, manager, model, params, null);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    private static NDManager newManager(LoadOptions options) {
        Device device = options.device();
        if (device.isGpu()) {
            int gpus = Engine.getEngine("PyTorch").getGpuCount();
            if (device.getDeviceId() >= gpus) {
                throw new IllegalArgumentException("device " + device + " was asked for, but the PyTorch engine sees "
                        + gpus + " GPU(s); use DJL's CUDA build (pytorch-native-cu*) instead of pytorch-native-cpu"
                        + " on a machine with an NVIDIA GPU (see the LanguageModel documentation), or Device.cpu()");
            }
        }
        return NDManager.newBaseManager(device, "PyTorch");
    }

    /** Parameters converted to {@code dtype} as they are created (float32 is passed through). */
    private static ParameterSource cast(ParameterSource source, DataType dtype) {
        if (dtype == DataType.FLOAT32) {
            return source;
        }
        return new ParameterSource() {
            @Override
            public NDArray get(String name, Shape shape, Init init) {
                NDArray wide = source.get(name, shape, init);
                NDArray narrow = wide.toType(dtype, false);
                wide.close();
                return narrow;
            }

            @Override
            public boolean has(String name) {
                return source.has(name);
            }
        };
    }

    /**
     * The existing directory {@code idOrPath} names, as {@link #fromPretrained(String)} decides between a local model
     * and a Hub id: a directory wins.
     *
     * @param idOrPath a model directory or a Hub repo id
     * @return the directory, or empty when {@code idOrPath} is not an existing directory (or not a valid path)
     */
    public static Optional<Path> localDirectory(String idOrPath) {
        try {
            Path path = Path.of(idOrPath);
            return Files.isDirectory(path) ? Optional.of(path) : Optional.empty();
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    private static boolean looksLikePath(String s) {
        return s.startsWith("/") || s.startsWith(".") || s.startsWith("~") || s.contains("\\")
                || s.chars().filter(c -> c == '/').count() > 1;
    }

    /**
     * The model's layers and hook registry.
     *
     * @return the layers
     */
    public Layers layers() {
        return layers;
    }

    /**
     * Runs the model: texts, token ids, generation.
     *
     * @return the inference engine
     */
    public InferenceEngine inference() {
        return inference;
    }

    /**
     * Saves activations over datasets into a store (mi-crow's {@code save_activations}).
     *
     * @return the activation saver
     */
    public Activations activations() {
        return activations;
    }

    /**
     * Gradients of a metric with respect to activations and weights (a forward and a backward pass per call).
     *
     * @return the gradient runner, asking for no weight gradients
     */
    public Gradients gradients() {
        return new Gradients(layers, inference, manager, dtype(), parameters);
    }

    /**
     * Whether the model came with a tokenizer.
     *
     * @return true when a {@code tokenizer.json} was loaded
     */
    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    /**
     * The tokenizer; an error for a model loaded without {@code tokenizer.json} (use token ids then).
     *
     * @return the tokenizer
     */
    public Tokenizer tokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException("this model has no tokenizer"
                    + (directory == null ? "" : " (no tokenizer.json in " + directory + ")"));
        }
        return tokenizer;
    }

    /**
     * The parsed config.json.
     *
     * @return the typed config
     */
    public ModelConfig config() {
        return model.config();
    }

    /**
     * The root of the module tree.
     *
     * @return the root module
     */
    public TransformerModel module() {
        return model;
    }

    /**
     * The device its weights live on.
     *
     * @return the device
     */
    public Device device() {
        return loadOptions.device();
    }

    /**
     * The precision of its weights.
     *
     * @return the data type
     */
    public DataType dtype() {
        return loadOptions.dtype();
    }

    /**
     * The options this model was loaded with (device, dtype, weight processing).
     *
     * @return the load options
     */
    public LoadOptions loadOptions() {
        return loadOptions;
    }

    /**
     * The directory it was loaded from (for a Hub model, its cache snapshot), if any.
     *
     * @return the directory, or empty for a model built from a config alone
     */
    public Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    /** Frees the weights and the tokenizer; the model cannot be used afterwards. */
    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        manager.close();
    }
}
