package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownGpt2;
import io.microw.eval.SaeEvaluation;
import io.microw.eval.SaeEvaluator;
import io.microw.io.JsonMapper;
import io.microw.lm.LanguageModel;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.TopKSae;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.sae.train.StoreActivationSource;
import io.microw.sae.train.TrainingResult;
import io.microw.store.LocalStore;
import io.microw.store.StoreDataLoader;
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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code microw bench sae-quality}: the quality benchmark of the SAE issue. Trains a TopK SAE with the standard
 * recipe on a saved run of brown-gpt2 activations (Brown training split, special tokens excluded), then evaluates
 * it on the Brown validation split (explained variance, L0, dead latents, CE loss and KL scores).
 */
@Command(name = "sae-quality",
        description = {"Train a TopK SAE with the standard recipe on a saved activation run of brown-gpt2 and "
            + "evaluate it on the Brown validation split."},
        footer = {"", "Example (first save the activations):",
            "  microw activations save --brown train --layers transformer.h.2 --store st --run brown-train-h2 --batch-size 32",
            "  microw bench sae-quality --store st --run brown-train-h2 --epochs 5 --k 32 --out sae-k32"})
final class BenchSaeQualityCommand implements Callable<Integer> {

    private static final ObjectWriter JSON = JsonMapper.pretty();

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--store", required = true, description = "Store directory holding the training run.")
    Path store;

    @Option(names = "--run", required = true, description = "Run id of the saved training activations.")
    String run;

    @Option(names = "--layer", defaultValue = "transformer.h.2", description = "Layer (default: ${DEFAULT-VALUE}).")
    String layer;

    @Option(names = "--k", defaultValue = "32", description = "Latents kept per token (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--d-sae", defaultValue = "4096", description = "Latents (default: ${DEFAULT-VALUE}).")
    int dSae;

    @Option(names = "--epochs", defaultValue = "5", description = "Passes over the data (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "Threads (default: $THREADS, else 2).")
    Integer threads;

    @Option(names = "--no-progress", description = "No progress line while evaluating.")
    boolean noProgress;

    @Option(names = "--out", description = "Folder to save the SAE (SAELens format), history.json and results.json.")
    Path out;

    @Override
    public Integer call() {
        if (epochs < 1) {
            throw new ParameterException(spec.commandLine(), "--epochs must be at least 1, got " + epochs);
        }
        int threadCount = threads != null ? threads : BenchSupport.defaultThreads();
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threadCount);
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        StoreDataLoader loader = StoreDataLoader.builder(new LocalStore(store), run, layer)
                .excludeSpecialTokens(true).shuffleBufferRows(1 << 17).seed(seed).build();
        StoreActivationSource source = new StoreActivationSource(loader);
        long rows = source.rowsPerEpoch();
        int batch = 4096;
        long steps = epochs * ((rows + batch - 1) / batch);
        SaeTrainingConfig config = SaeTrainingConfig.builder().lr(4e-4).lrWarmUpSteps(100)
                .lrDecaySteps((int) (steps / 5)).batchSize(batch).epochs(epochs).auxLossCoefficient(1.0 / 32)
                .kAux(256).deadFeatureWindow(200_000).maxGradNorm(1.0).normalizeActivations(true)
                .initBDecToMean(true).metricsEvery(20).seed(seed).threads(threadCount)
                .checkpointDir(out == null ? null : out.resolve("checkpoints"))
                .build();
        err.printf(Locale.ROOT, "sae-quality: %,d training tokens, %d epochs = %d steps, TopK d_sae %d k %d%n",
                rows, epochs, steps, dSae, k);
        Map<String, Object> result = new LinkedHashMap<>();
        SaeConfig saeConfig = SaeConfig.of(SaeArchitecture.TOPK, source.width(), dSae, k)
                .withSource(BrownGpt2.NAME, layer);
        try (TopKSae sae = new TopKSae(saeConfig, seed);
             LanguageModel lm = BrownGpt2.load()) {
            TrainingResult training = new SaeTrainer(sae, config).onMetrics(m -> {
                err.printf(Locale.ROOT, "  step %4d/%d  mse %.4f  ev %.4f  l0 %.1f  dead %.4f  %.0f tok/s%n",
                        m.step(), m.totalSteps(), m.mse(), m.explainedVariance(), m.l0(), m.deadFraction(),
                        m.tokensPerSecond());
                err.flush();
            }).train(source);
            err.println("sae-quality: evaluating on the validation split (three forwards per batch for the CE/KL "
                    + "scores)...");
            err.flush();
            EvalProgressLine progress = new EvalProgressLine(new ProgressLine(err, !noProgress), "sentences");
            SaeEvaluation eval = new SaeEvaluator(lm).batchSize(32).progress(progress)
                    .evaluate(sae, layer, BrownCorpus.load().sentenceDataset(BrownCorpus.Split.VALIDATION));
            progress.finish();
            result.put("training_tokens_per_epoch", rows);
            result.put("epochs", epochs);
            result.put("steps", training.steps());
            result.put("training_seconds", Math.round(training.seconds() * 10) / 10.0);
            result.put("training_tokens_per_s", Math.round(training.tokensPerSecond()));
            result.put("dead_fraction_training", training.last().deadFraction());
            result.put("train_explained_variance_last", training.last().explainedVariance());
            result.put("eval", eval.toMap());
            result.putAll(EngineEnvironment.jsonFields());
            if (out != null) {
                sae.save(out.resolve("sae"));
                write(out.resolve("results.json"), result);
            }
            stdout.println(JSON.writeValueAsString(result));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        stdout.flush();
        return 0;
    }

    private static void write(Path file, Object value) throws IOException {
        Files.createDirectories(file.getParent());
        JSON.writeValue(file.toFile(), value);
    }
}
