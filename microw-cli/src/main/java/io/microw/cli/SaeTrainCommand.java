package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import io.microw.data.TextDataset;
import io.microw.frontend.ModelReference;
import io.microw.frontend.TrainingJobSpec;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeArchitectures;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeException;
import io.microw.sae.SaeLensFormat;
import io.microw.sae.train.ActivationSource;
import io.microw.sae.train.ModelActivationSource;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.sae.train.StoreActivationSource;
import io.microw.sae.train.TrainingMetrics;
import io.microw.sae.train.TrainingResult;
import io.microw.store.LocalStore;
import io.microw.store.StoreDataLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code microw sae train}: trains an SAE on a saved activation run (or on the fly over texts), with checkpoints in
 * {@code OUT/checkpoints} so that an interrupted training continues with {@code --resume}; saves the SAE in SAELens'
 * layout to {@code OUT/sae} (with its firing densities as sparsity.safetensors) and the metrics to
 * {@code OUT/history.json}.
 */
@Command(name = "train",
        description = {"Train a sparse autoencoder on a layer's activations: from a saved run (--store/--run) or on "
            + "the fly over texts (--brown or --texts-file, with --model). Checkpoints go to OUT/checkpoints; after "
            + "Ctrl-C, the same command with --resume continues. The SAE goes to OUT/sae (SAELens layout), the "
            + "metrics to OUT/history.json."},
        footer = {"", "Examples:",
            "  microw sae train --store st --run h2 --layer transformer.h.2 --d-sae 4096 --k 32 --epochs 5 --out sae-h2",
            "  microw sae train --brown train --layer transformer.h.2 --arch standard --l1 5 --tokens 2000000 --out sae-l1",
            "  microw sae train --store st --run h2 --layer transformer.h.2 --out sae-h2 --resume   (after Ctrl-C)"})
final class SaeTrainCommand implements Callable<Integer> {

    static final String OPTIONS_FILE = "train-options.json";

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--store", paramLabel = "DIR", description = "Store holding the saved activations (with --run).")
    Path store;

    @Option(names = "--run", paramLabel = "ID", description = "Run id of the saved activations (with --store).")
    String run;

    @Option(names = "--brown", paramLabel = "train|validation",
            description = "Train on the fly on the Brown corpus' sentences of this split.")
    String brown;

    @Option(names = "--texts-file", paramLabel = "FILE",
            description = "Train on the fly on these texts (.txt one per line, .jsonl, .csv, .parquet...).")
    Path textsFile;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "brown-gpt2",
            description = "Model for on-the-fly training (and the name recorded with --store): brown-gpt2, a directory or a Hub id (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--limit", defaultValue = "0", description = "On the fly: at most this many texts (default 0: all).")
    int limit;

    @Option(names = "--layer", required = true, paramLabel = "LAYER",
            description = "Layer whose activations to train on: with --store, as the run names it (e.g. "
                + "transformer.h.2); on the fly, a name, alias or index (see `microw layers`).")
    String layer;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Output folder: sae/, history.json, checkpoints/.")
    Path out;

    @Option(names = {"--arch", "--architecture"}, paramLabel = "ARCH",
            defaultValue = TrainingJobSpec.DEFAULT_ARCHITECTURE, completionCandidates = TrainableArchitectures.class,
            description = "Architecture: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--d-sae", defaultValue = "" + TrainingJobSpec.DEFAULT_D_SAE, paramLabel = "N",
            description = "Latents (default: ${DEFAULT-VALUE}).")
    int dSae;

    @Option(names = "--k", defaultValue = "" + TrainingJobSpec.DEFAULT_K,
            description = "Architectures that keep k latents per token: k (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--epochs", paramLabel = "E", description = "Passes over the data (default "
            + TrainingJobSpec.DEFAULT_EPOCHS + "; not with --tokens).")
    Integer epochs;

    @Option(names = "--tokens", paramLabel = "T", description = "Train on this many tokens instead of whole epochs.")
    Long tokens;

    @Option(names = "--lr", defaultValue = "" + TrainingJobSpec.DEFAULT_LR,
            description = "Learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--lr-warm-up-steps", defaultValue = "" + TrainingJobSpec.DEFAULT_LR_STEPS, paramLabel = "N",
            description = "Linear learning-rate warm-up steps (default: ${DEFAULT-VALUE}).")
    int lrWarmUp;

    @Option(names = "--lr-decay-steps", defaultValue = "" + TrainingJobSpec.DEFAULT_LR_STEPS, paramLabel = "N",
            description = "Linear decay to 0 over the last N steps (default: ${DEFAULT-VALUE}).")
    int lrDecay;

    @Option(names = "--batch-size", defaultValue = "" + TrainingJobSpec.DEFAULT_BATCH_SIZE, paramLabel = "B",
            description = "Tokens per training step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--l1", defaultValue = "" + TrainingJobSpec.DEFAULT_L1,
            description = "standard: L1 coefficient (default: ${DEFAULT-VALUE}).")
    double l1;

    @Option(names = "--l0", defaultValue = "" + TrainingJobSpec.DEFAULT_L0,
            description = "jumprelu: L0 coefficient (default: ${DEFAULT-VALUE}).")
    double l0;

    @Option(names = "--seed", defaultValue = "" + TrainingJobSpec.DEFAULT_SEED,
            description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--metrics-every", defaultValue = "" + TrainingJobSpec.DEFAULT_METRICS_EVERY, paramLabel = "N",
            description = "Steps between metrics lines (default: ${DEFAULT-VALUE}).")
    int metricsEvery;

    @Option(names = "--checkpoint-every", paramLabel = "N",
            description = "Steps between checkpoints, a multiple of --metrics-every; 0: none (default: "
                + TrainingJobSpec.METRICS_LINES_PER_CHECKPOINT + " x --metrics-every).")
    Integer checkpointEvery;

    @Option(names = "--threads", defaultValue = "" + TrainingJobSpec.DEFAULT_THREADS,
            description = "Threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--resume", description = "Continue the training in OUT from its last checkpoint.")
    boolean resume;

    @Option(names = "--force", description = "Start afresh even though OUT holds an earlier training.")
    boolean force;

    @Option(names = "--no-progress", description = "No progress line.")
    boolean noProgress;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        SaeArchitecture architecture = architecture(cmd, arch);
        TrainingJobSpec spec = spec();
        validate(cmd, architecture, spec);
        Path checkpoints = out.resolve("checkpoints");
        prepareOutput(cmd, architecture, spec, checkpoints);
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(spec.threads());
        PrintWriter stdout = cmd.getOut();
        PrintWriter err = cmd.getErr();
        boolean fromStore = store != null;
        LanguageModel lm = null;
        try {
            ActivationSource source;
            String layerName;
            String modelName;
            if (fromStore) {
                LocalStore s = new LocalStore(store);
                layerName = SaeSupport.storeLayer(cmd, s, run, layer, null);
                modelName = ModelReference.displayName(model);
                StoreDataLoader loader = StoreDataLoader.builder(s, run, layerName).excludeSpecialTokens(true)
                        .shuffleBufferRows(1 << 17).seed(seed).build();
                source = new StoreActivationSource(loader);
            } else {
                TextDataset texts = SaeSupport.texts(cmd, brown, textsFile, limit,
                        "--store/--run, --brown or --texts-file");
                lm = ModelReference.parse(model).open();
                layerName = lm.layers().resolve(layer);
                modelName = ModelReference.displayName(model);
                source = ModelActivationSource.builder(lm, texts, List.of(layerName)).seed(seed).build()
                        .layer(layerName);
            }
            SaeConfig saeConfig = spec.saeConfig(source.width(), modelName, layerName);
            SaeTrainingConfig config = spec.trainingConfig(checkpoints);
            writeOptions(spec, saeConfig);
            ProgressLine progress = new ProgressLine(err, !noProgress);
            Thread hook = new Thread(() -> {
                progress.finish();
                err.println("microw: interrupted; run the same command with --resume to continue from the last "
                        + "checkpoint in " + checkpoints);
                err.flush();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            TrainingResult result;
            try (Sae sae = Sae.create(saeConfig, seed)) {
                SaeTrainer trainer = new SaeTrainer(sae, config).onMetrics(m -> progress.update(m.step(),
                        m.totalSteps(), "steps", detail(m)));
                err.printf(Locale.ROOT, "sae train: %s d_in %d d_sae %d%s on %s%s%n", architecture.saeLensName(),
                        saeConfig.dIn(), dSae, architecture.usesK() ? " k " + k : "", layerName,
                        resume ? " (resuming)" : "");
                err.flush();
                result = resume ? trainer.resume(source) : trainer.train(source);
                progress.finish();
                sae.save(out.resolve("sae"));
                SaeLensFormat.writeSparsity(out.resolve("sae"), log10(result.firingFrequencies()));
            } finally {
                removeHook(hook);
            }
            Json.write(out.resolve("history.json"),
                    result.history().stream().map(TrainingMetrics::toMap).toList());
            Map<String, Object> summary = summary(result, saeConfig);
            if (json) {
                Json.print(stdout, summary);
            } else {
                TrainingMetrics last = result.history().isEmpty() ? null : result.last();
                stdout.printf(Locale.ROOT, "trained %s steps on %s tokens in %.1f s (%,.0f tok/s)%n",
                        SaeSupport.count(result.steps()), SaeSupport.count(result.tokens()), result.seconds(),
                        result.tokensPerSecond());
                if (last != null) {
                    stdout.printf(Locale.ROOT, "final: mse %.4f  explained variance %.4f  l0 %.1f  dead %.4f%n",
                            last.mse(), last.explainedVariance(), last.l0(), last.deadFraction());
                }
                stdout.println("saved the SAE to " + out.resolve("sae") + " and the metrics to "
                        + out.resolve("history.json"));
                stdout.flush();
            }
        } finally {
            if (lm != null) {
                lm.close();
            }
        }
        return 0;
    }

    private static String detail(TrainingMetrics m) {
        return String.format(Locale.ROOT, "%,.0f tok/s  mse %.4f  ev %.3f  l0 %.1f", m.tokensPerSecond(), m.mse(),
                m.explainedVariance(), m.l0());
    }

    private Map<String, Object> summary(TrainingResult result, SaeConfig saeConfig) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architecture", saeConfig.architecture().saeLensName());
        m.put("d_in", saeConfig.dIn());
        m.put("d_sae", saeConfig.dSae());
        m.put("k", saeConfig.k());
        m.put("layer", saeConfig.hookName());
        m.put("steps", result.steps());
        m.put("tokens", result.tokens());
        m.put("skipped_batches", result.skippedBatches());
        m.put("seconds", result.seconds());
        m.put("tokens_per_second", result.tokensPerSecond());
        m.put("final", result.history().isEmpty() ? null : result.last().toMap());
        m.put("sae", out.resolve("sae").toString());
        m.put("history", out.resolve("history.json").toString());
        return m;
    }

    /**
     * The training job these options describe, unset options taking {@link TrainingJobSpec#defaults()}.
     *
     * @return the spec
     */
    TrainingJobSpec spec() {
        TrainingJobSpec.Builder b = TrainingJobSpec.builder().architecture(arch).dSae(dSae).k(k)
                .epochs(epochs == null ? TrainingJobSpec.defaults().epochs() : epochs)
                .tokens(tokens == null ? 0 : tokens).lr(lr).lrWarmUpSteps(lrWarmUp).lrDecaySteps(lrDecay)
                .batchSize(batchSize).l1Coefficient(l1).l0Coefficient(l0).seed(seed).metricsEvery(metricsEvery)
                .threads(threads);
        if (checkpointEvery != null) {
            b.checkpointEvery(checkpointEvery);
        }
        return b.build();
    }

    private void validate(CommandLine cmd, SaeArchitecture architecture, TrainingJobSpec spec) {
        boolean fromStore = store != null || run != null;
        boolean fromTexts = brown != null || textsFile != null;
        if (fromStore == fromTexts) {
            throw new ParameterException(cmd, "give the activations either as --store DIR --run ID or as texts "
                    + "(--brown SPLIT or --texts-file FILE)");
        }
        if (fromStore && (store == null || run == null)) {
            throw new ParameterException(cmd, store == null ? "--run needs --store DIR" : "--store needs --run ID");
        }
        if (epochs != null && tokens != null) {
            throw new ParameterException(cmd, "give --epochs or --tokens, not both");
        }
        if (epochs != null && epochs < 1) {
            throw new ParameterException(cmd, "--epochs must be at least 1, got " + epochs);
        }
        if (tokens != null && tokens < 1) {
            throw new ParameterException(cmd, "--tokens must be at least 1, got " + tokens);
        }
        if (dSae < 2) {
            throw new ParameterException(cmd, "--d-sae must be at least 2, got " + dSae);
        }
        if (architecture.usesK() && (k < 1 || k >= dSae)) {
            throw new ParameterException(cmd, "--k must be in 1.." + (dSae - 1) + " (fewer than --d-sae), got " + k);
        }
        if (!(lr > 0) || lr >= 10) {
            throw new ParameterException(cmd, "--lr must be a small positive number, got " + lr);
        }
        if (batchSize < 1) {
            throw new ParameterException(cmd, "--batch-size must be at least 1, got " + batchSize);
        }
        if (l1 < 0 || l0 < 0) {
            throw new ParameterException(cmd, "--l1 and --l0 must be >= 0");
        }
        if (metricsEvery < 1) {
            throw new ParameterException(cmd, "--metrics-every must be at least 1, got " + metricsEvery);
        }
        if (spec.checkpointEvery() < 0 || spec.checkpointEvery() % metricsEvery != 0) {
            throw new ParameterException(cmd, "--checkpoint-every must be 0 or a multiple of --metrics-every ("
                    + metricsEvery + "), got " + spec.checkpointEvery());
        }
        if (limit < 0) {
            throw new ParameterException(cmd, "--limit must be >= 0, got " + limit);
        }
        if (threads < 1) {
            throw new ParameterException(cmd, "--threads must be at least 1, got " + threads);
        }
        if (resume && force) {
            throw new ParameterException(cmd, "give --resume or --force, not both");
        }
    }

    /** Refuses to overwrite an earlier training unless --resume or --force; checks --resume's settings match. */
    private void prepareOutput(CommandLine cmd, SaeArchitecture architecture, TrainingJobSpec spec, Path checkpoints) {
        boolean earlier = nonEmpty(checkpoints) || Files.exists(out.resolve("sae"));
        if (resume) {
            Path options = out.resolve(OPTIONS_FILE);
            if (Files.isRegularFile(options)) {
                try {
                    JsonNode saved = Json.MAPPER.readTree(options.toFile());
                    String savedArch = saved.path("architecture").asText();
                    int savedDSae = saved.path("d_sae").asInt();
                    int savedK = saved.path("k").asInt();
                    int kNow = spec.effectiveK();
                    if (!savedArch.equals(architecture.saeLensName()) || savedDSae != dSae || savedK != kNow) {
                        throw new ParameterException(cmd, "--resume: the training in " + out + " is " + savedArch
                                + " d_sae " + savedDSae + " k " + savedK + "; give the same --arch, --d-sae and --k");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("could not read " + options + ": " + e.getMessage(), e);
                }
            }
            return;
        }
        if (earlier && !force) {
            throw new IllegalArgumentException(out + " already holds a training; add --resume to continue it or "
                    + "--force to start afresh");
        }
        if (force) {
            deleteTree(checkpoints);
        }
    }

    private void writeOptions(TrainingJobSpec spec, SaeConfig saeConfig) {
        Map<String, Object> m = new LinkedHashMap<>(spec.toParams());
        m.put("layer", saeConfig.hookName());
        Json.write(out.resolve(OPTIONS_FILE), m);
    }

    /** The trainable architecture {@code --arch} names; a usage error lists the trainable ones. */
    static SaeArchitecture architecture(CommandLine cmd, String name) {
        try {
            return SaeArchitectures.requireTrainable(name);
        } catch (SaeException e) {
            throw new ParameterException(cmd, "--arch '" + name + "': " + e.getMessage(), e);
        }
    }

    private static float[] log10(double[] frequencies) {
        float[] out = new float[frequencies.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.log10(frequencies[i] + 1e-10);
        }
        return out;
    }

    private static boolean nonEmpty(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is exiting: the hook runs
        }
    }
}
