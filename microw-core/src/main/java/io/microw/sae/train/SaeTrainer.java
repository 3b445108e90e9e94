package io.microw.sae.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.microw.sae.FeatureDensity;
import io.microw.sae.ReconstructionStats;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Trains one SAE on an {@link ActivationSource} with a {@link SaeTrainingConfig}: Adam on fp32 parameters,
 * learning-rate warm-up and linear decay, L1 warm-up, AuxK for dead latents, unit-norm decoder rows with the
 * parallel gradient removed, global gradient clipping, input normalisation and {@code b_dec} at the data mean.
 * Metrics go to listeners and to the history; checkpoints (when a directory is configured) make a killed training
 * resumable with {@link #resume}, to the same result as an uninterrupted run. Deterministic on CPU for a seed.
 *
 * <pre>{@code
 * SaeTrainer trainer = new SaeTrainer(sae, SaeTrainingConfig.builder().epochs(5).build());
 * TrainingResult result = trainer.train(new StoreActivationSource(loader));
 * }</pre>
 */
public final class SaeTrainer {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Sae sae;
    private final SaeTrainingConfig config;
    private final List<Consumer<TrainingMetrics>> listeners = new ArrayList<>();

    public SaeTrainer(Sae sae, SaeTrainingConfig config) {
        this.sae = Objects.requireNonNull(sae, "sae");
        this.config = Objects.requireNonNull(config, "config");
        if (sae.architecture() == SaeArchitecture.GATED) {
            throw new SaeException("gated SAEs can be loaded and run but not trained by microw; "
                    + "train a topk, batchtopk, standard or jumprelu SAE");
        }
    }

    /** Calls {@code listener} with every metrics line. */
    public SaeTrainer onMetrics(Consumer<TrainingMetrics> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** Trains from the SAE's current weights; the SAE holds the result afterwards. */
    public TrainingResult train(ActivationSource source) {
        return run(source, Optional.empty());
    }

    /**
     * Continues from the newest checkpoint in the config's checkpoint directory (or starts afresh when there is
     * none), reading the source from where that checkpoint stopped.
     */
    public TrainingResult resume(ActivationSource source) {
        if (config.checkpointDir() == null) {
            throw new SaeException("resume needs a checkpoint directory in the training config");
        }
        return run(source, TrainingCheckpoint.latest(config.checkpointDir()));
    }

    private TrainingResult run(ActivationSource source, Optional<Path> checkpoint) {
        sae.checkInputWidth(source.width(), "training data");
        long totalSteps = totalSteps(source);
        int epochs = epochsNeeded(source, totalSteps);
        try (Workers workers = new Workers(config.threads())) {
            TrainingModel model = new TrainingModel(sae);
            FeatureDensity density = new FeatureDensity(sae.nLatents());
            List<Map<String, Object>> history = new ArrayList<>();
            long step = 0;
            long tokens = 0;
            long skipped = 0;
            float scale;
            if (checkpoint.isPresent()) {
                TrainingCheckpoint.State s = TrainingCheckpoint.read(checkpoint.get(), model, density);
                step = s.step();
                tokens = s.tokens();
                scale = s.inputScale();
                skipped = s.skippedBatches();
                model.batchTopKThreshold = s.batchTopKThreshold();
                history.addAll(s.history());
            } else {
                scale = initialise(source, model);
            }
            GradientStep gradients = new GradientStep(model, workers);
            Iterator<float[][]> batches = source.batches(config.batchSize(), epochs);
            for (long skip = 0; skip < step + skipped && batches.hasNext(); skip++) {
                batches.next();
            }
            ReconstructionStats stats = new ReconstructionStats();
            Interval interval = new Interval();
            long started = System.nanoTime();
            long batchIndex = step + skipped;
            int kAux = config.kAux() > 0 ? config.kAux() : Math.max(1, sae.nInputs() / 2);
            while (step < totalSteps && batches.hasNext()) {
                float[][] batch = batches.next();
                batchIndex++;
                float[] x = flatten(batch, sae.nInputs(), scale, batchIndex);
                if (x == null) {
                    skipped++;
                    continue;
                }
                int rows = batch.length;
                boolean[] dead = usesAux() ? density.deadMask(config.deadFeatureWindow()) : null;
                GradientStep.Result r = gradients.run(x, rows, dead, config.auxLossCoefficient(), kAux,
                        sparsityCoefficient(step), config.jumpReluBandwidth(), config.codePath());
                if (!Double.isFinite(r.loss())) {
                    throw new SaeException("training diverged at step " + (step + 1) + ": the loss became " + r.loss()
                            + " (lr " + config.lr() + "); lower the learning rate. "
                            + TrainingCheckpoint.latest(config.checkpointDir())
                                    .map(p -> "The last good checkpoint is " + p + ".")
                                    .orElse("No checkpoint was written."));
                }
                applyUpdate(model, gradients, workers, step + 1, totalSteps);
                step++;
                tokens += rows;
                density.add(r.activeCounts(), rows);
                stats.addReconstruction(x, r.reconstruction(), rows, sae.nInputs());
                stats.addCodes(rows, r.activeTotal(), r.codeSum());
                interval.add(r, rows);
                if (step % config.metricsEvery() == 0 || step == totalSteps) {
                    double seconds = (System.nanoTime() - started) / 1e9;
                    TrainingMetrics m = new TrainingMetrics(step, totalSteps, tokens, learningRate(step, totalSteps),
                            interval.loss(), stats.mse(), interval.aux(), interval.sparsity(),
                            stats.explainedVariance(), stats.l0(), stats.l1(), stats.l2Ratio(),
                            density.deadFraction(config.deadFeatureWindow()),
                            density.denseFraction(config.denseFeatureThreshold()),
                            seconds > 0 ? interval.tokensSinceStart / seconds : 0);
                    history.add(m.toMap());
                    listeners.forEach(l -> l.accept(m));
                    stats = new ReconstructionStats();
                    interval.reset();
                    if (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0) {
                        TrainingCheckpoint.write(config.checkpointDir(), model, density, new TrainingCheckpoint.State(
                                step, tokens, scale, model.batchTopKThreshold, skipped, history, config.toMap()));
                    }
                }
            }
            model.copyInto(sae);
            sae.setInputScale(scale);
            if (config.checkpointDir() != null) {
                TrainingCheckpoint.write(config.checkpointDir(), model, density, new TrainingCheckpoint.State(
                        step, tokens, scale, model.batchTopKThreshold, skipped, history, config.toMap()));
                writeHistory(config.checkpointDir().resolve("history.json"), history);
            }
            List<TrainingMetrics> metrics = history.stream().map(TrainingMetrics::fromMap).toList();
            return new TrainingResult(step, tokens, skipped, (System.nanoTime() - started) / 1e9, metrics,
                    density.frequencies());
        }
    }

    private boolean usesAux() {
        return (sae.architecture() == SaeArchitecture.TOPK || sae.architecture() == SaeArchitecture.BATCH_TOPK)
                && config.auxLossCoefficient() > 0;
    }

    private long totalSteps(ActivationSource source) {
        if (config.totalTrainingTokens() > 0) {
            return (config.totalTrainingTokens() + config.batchSize() - 1) / config.batchSize();
        }
        long rows = source.rowsPerEpoch();
        if (rows < 0) {
            throw new SaeException("the data source does not know its size; set total_training_tokens");
        }
        if (rows == 0) {
            throw new SaeException("the data source is empty: no activation rows to train on");
        }
        return config.epochs() * ((rows + config.batchSize() - 1) / config.batchSize());
    }

    private int epochsNeeded(ActivationSource source, long totalSteps) {
        if (config.totalTrainingTokens() == 0) {
            return config.epochs();
        }
        long rows = source.rowsPerEpoch();
        if (rows <= 0) {
            return Integer.MAX_VALUE;
        }
        return (int) Math.min(Integer.MAX_VALUE, (totalSteps * config.batchSize() + rows - 1) / rows);
    }

    /** Estimates the input scale (mean norm → √d_in) and sets {@code b_dec} to the mean, from a data sample. */
    private float initialise(ActivationSource source, TrainingModel model) {
        if (!config.normalizeActivations() && !config.initBDecToMean()) {
            return 1f;
        }
        int d = sae.nInputs();
        double[] sum = new double[d];
        double normSum = 0;
        long n = 0;
        Iterator<float[][]> sample = source.batches(config.batchSize(), 1);
        while (n < config.initSampleRows() && sample.hasNext()) {
            for (float[] row : sample.next()) {
                double norm = 0;
                for (int c = 0; c < d; c++) {
                    sum[c] += row[c];
                    norm += (double) row[c] * row[c];
                }
                if (!Double.isFinite(norm)) {
                    continue;
                }
                normSum += Math.sqrt(norm);
                n++;
            }
        }
        if (n == 0) {
            throw new SaeException("the data source is empty: no activation rows to train on");
        }
        float scale = config.normalizeActivations() && normSum > 0 ? (float) (Math.sqrt(d) / (normSum / n)) : 1f;
        if (config.initBDecToMean()) {
            for (int c = 0; c < d; c++) {
                model.bDec.data.put(c, (float) (sum[c] / n * scale));
            }
        }
        return scale;
    }

    /** Flattens and scales a batch; null when it holds NaN/Inf and the policy skips it. */
    private float[] flatten(float[][] batch, int d, float scale, long batchIndex) {
        float[] x = new float[batch.length * d];
        for (int r = 0; r < batch.length; r++) {
            float[] row = batch[r];
            if (row.length != d) {
                throw new SaeException("batch " + batchIndex + " row " + r + " has " + row.length + " values, expected d_in="
                        + d);
            }
            for (int c = 0; c < d; c++) {
                float v = row[c];
                if (!Float.isFinite(v)) {
                    if (config.nonFinitePolicy() == SaeTrainingConfig.NonFinitePolicy.SKIP_BATCH) {
                        return null;
                    }
                    throw new SaeException("batch " + batchIndex + " row " + r + " column " + c + " holds " + v
                            + "; activations must be finite (set nonFinitePolicy(SKIP_BATCH) to skip such batches)");
                }
                x[r * d + c] = v * scale;
            }
        }
        return x;
    }

    private double sparsityCoefficient(long step) {
        SaeArchitecture a = sae.architecture();
        if (a == SaeArchitecture.STANDARD) {
            double warm = config.l1WarmUpSteps() > 0 ? Math.min(1.0, (step + 1) / (double) config.l1WarmUpSteps()) : 1.0;
            return config.l1Coefficient() * warm;
        }
        return a == SaeArchitecture.JUMP_RELU ? config.l0Coefficient() : 0;
    }

    /** Learning rate at (1-based) step: linear warm-up, constant, linear decay to 0 over the last steps. */
    double learningRate(long step, long totalSteps) {
        double factor = 1.0;
        if (config.lrWarmUpSteps() > 0) {
            factor = Math.min(factor, step / (double) config.lrWarmUpSteps());
        }
        if (config.lrDecaySteps() > 0) {
            factor = Math.min(factor, (totalSteps - step + 1) / (double) config.lrDecaySteps());
        }
        return config.lr() * Math.max(0, factor);
    }

    private void applyUpdate(TrainingModel model, GradientStep gradients, Workers workers, long step, long totalSteps) {
        boolean[] touchedDec = gradients.touchedDecoderRows();
        if (config.normalizeDecoder()) {
            removeParallelComponent(model, touchedDec);
        }
        double squared = model.wDec.gradSquaredSum(touchedDec) + model.wEncT.gradSquaredSum(gradients.touchedEncoderRows())
                + model.bEnc.gradSquaredSum(null) + model.bDec.gradSquaredSum(null)
                + (model.logThreshold == null ? 0 : model.logThreshold.gradSquaredSum(null));
        double norm = Math.sqrt(squared);
        float clip = config.maxGradNorm() > 0 && norm > config.maxGradNorm() ? (float) (config.maxGradNorm() / norm) : 1f;
        float lr = (float) learningRate(step, totalSteps);
        for (ParamTensor p : model.trainable()) {
            p.adam(workers, lr, (float) config.adamBeta1(), (float) config.adamBeta2(), 1e-8f, step, clip);
        }
        if (config.normalizeDecoder()) {
            normaliseRows(model, workers);
        }
    }

    /** Removes from each decoder row's gradient its component along the row (the rows stay unit norm). */
    private static void removeParallelComponent(TrainingModel model, boolean[] touched) {
        int d = model.dIn;
        for (int r = 0; r < model.dSae; r++) {
            if (!touched[r]) {
                continue;
            }
            int base = r * d;
            double dot = 0;
            double norm = 0;
            for (int c = 0; c < d; c++) {
                float w = model.wDec.data.get(base + c);
                dot += w * model.wDec.grad.get(base + c);
                norm += w * w;
            }
            if (norm == 0) {
                continue;
            }
            float f = (float) (dot / norm);
            for (int c = 0; c < d; c++) {
                model.wDec.grad.put(base + c, model.wDec.grad.get(base + c) - f * model.wDec.data.get(base + c));
            }
        }
    }

    private static void normaliseRows(TrainingModel model, Workers workers) {
        int d = model.dIn;
        workers.forRange(model.dSae, (part, from, to) -> {
            for (int r = from; r < to; r++) {
                int base = r * d;
                double norm = 0;
                for (int c = 0; c < d; c++) {
                    float w = model.wDec.data.get(base + c);
                    norm += w * w;
                }
                if (norm == 0) {
                    continue;
                }
                float inv = (float) (1 / Math.sqrt(norm));
                for (int c = 0; c < d; c++) {
                    model.wDec.data.put(base + c, model.wDec.data.get(base + c) * inv);
                }
            }
        });
    }

    private static void writeHistory(Path file, List<Map<String, Object>> history) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), history);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SaeException("could not write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Loss terms averaged over the steps since the last metrics line. */
    private static final class Interval {
        private double loss;
        private double aux;
        private double sparsity;
        private int steps;
        private long tokensSinceStart;

        void add(GradientStep.Result r, int rows) {
            loss += r.loss();
            aux += r.auxLoss();
            sparsity += r.sparsityLoss();
            steps++;
            tokensSinceStart += rows;
        }

        double loss() {
            return steps == 0 ? Double.NaN : loss / steps;
        }

        double aux() {
            return steps == 0 ? Double.NaN : aux / steps;
        }

        double sparsity() {
            return steps == 0 ? Double.NaN : sparsity / steps;
        }

        void reset() {
            loss = 0;
            aux = 0;
            sparsity = 0;
            steps = 0;
        }
    }
}
