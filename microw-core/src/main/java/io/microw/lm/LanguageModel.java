package io.microw.lm;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.microw.MicrowException;
import io.microw.io.Checkpoints;
import io.microw.io.HfConfig;
import io.microw.io.WeightSource;
import io.microw.models.CheckpointParameters;
import io.microw.models.ModelConfig;
import io.microw.models.ModelFamilies;
import io.microw.models.ModelFamily;
import io.microw.models.RandomParameters;
import io.microw.models.TransformerModel;
import io.microw.tokenizer.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A Hugging Face language model running in Java: its named {@link #layers()} (where hooks go), its
 * {@link #inference()} engine and its {@link #tokenizer()}. Load one with {@link #load(Path)}; close it to
 * free its weights.
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
    private final NDManager manager;
    private final TransformerModel model;
    private final Tokenizer tokenizer;
    private final Layers layers;
    private final InferenceEngine inference;

    private LanguageModel(Path directory, NDManager manager, TransformerModel model, Tokenizer tokenizer) {
        this.directory = directory;
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.layers = new Layers(model);
        this.inference = new InferenceEngine(model, layers, tokenizer, manager);
    }

    /**
     * Loads a model directory as {@code save_pretrained} writes it: {@code config.json}, {@code model.safetensors}
     * (or a sharded index) and, optionally, {@code tokenizer.json} with {@code tokenizer_config.json}.
     */
    public static LanguageModel load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new MicrowException("model directory " + dir + " does not exist or is not a directory");
        }
        HfConfig raw = HfConfig.read(dir.resolve("config.json"));
        ModelFamily family = ModelFamilies.forModelType(raw.modelType());
        ModelConfig config = family.parseConfig(raw);
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        Tokenizer tokenizer = null;
        try (WeightSource weights = Checkpoints.open(dir)) {
            CheckpointParameters params = new CheckpointParameters(weights, manager, family.optionalWeightPrefix());
            TransformerModel model = family.build(config, params, manager);
            List<String> unused = params.unused();
            if (!unused.isEmpty()) {
                LOG.info("{} tensors in {} are not used by {}: {}", unused.size(), weights.describe(),
                        config.architecture(), unused.size() > 8 ? unused.subList(0, 8) + "..." : unused);
            }
            tokenizer = Tokenizer.existsIn(dir) ? Tokenizer.load(dir) : null;
            return new LanguageModel(dir, manager, model, tokenizer);
        } catch (RuntimeException | Error e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e;
        }
    }

    /** Builds any supported architecture from a config alone, with random weights drawn from {@code seed}. */
    public static LanguageModel randomInit(HfConfig raw, long seed) {
        ModelFamily family = ModelFamilies.forModelType(raw.modelType());
        ModelConfig config = family.parseConfig(raw);
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            double std = raw.getDouble("initializer_range", 0.02);
            TransformerModel model = family.build(config, new RandomParameters(manager, seed, std), manager);
            return new LanguageModel(null, manager, model, null);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    /** The model's layers and hook registry. */
    public Layers layers() {
        return layers;
    }

    /** Runs the model: texts, token ids, generation. */
    public InferenceEngine inference() {
        return inference;
    }

    /** Whether the model came with a tokenizer. */
    public boolean hasTokenizer() {
        return tokenizer != null;
    }

    /** The tokenizer; an error for a model loaded without {@code tokenizer.json} (use token ids then). */
    public Tokenizer tokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException("this model has no tokenizer"
                    + (directory == null ? "" : " (no tokenizer.json in " + directory + ")"));
        }
        return tokenizer;
    }

    /** The parsed config.json. */
    public ModelConfig config() {
        return model.config();
    }

    /** The root of the module tree. */
    public TransformerModel module() {
        return model;
    }

    /** The directory it was loaded from, if any. */
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
