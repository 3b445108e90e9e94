package io.microw.sae.train;

import com.fasterxml.jackson.databind.ObjectWriter;
import io.microw.io.AtomicFiles;
import io.microw.io.JsonMapper;
import io.microw.sae.FeatureDensity;
import io.microw.sae.ReconstructionStats;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.sae.TrainingRule;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One SAE's training in progress: its working copy, optimizer state, firing counts and history. It takes batches
 * one at a time ({@link #step}), so that one data pass can feed several runs, logs metrics, writes checkpoints,
 * and hands the result to the SAE in {@link #finish}.
 */
final class TrainingRun implements AutoCloseable {

    private static final ObjectWriter JSON = JsonMapper.pretty();

    private final Sae sae;
    private final SaeTrainingConfig config;
    private final List<Consumer<TrainingMetrics>> listeners;
    private final long totalSteps;
    private final Workers workers;
    private final TrainingModel model;
    private final FeatureDensity density;
    private final GradientStep gradients;
    private final List<Map<String, Object>> history = new ArrayList<>();
    private final int kAux;
    private ReconstructionStats stats = new ReconstructionStats();
    private final Interval interval = new Interval();
    private long step;
    private long tokens;
    private long skipped;
    private float scale = 1f;
    private long started;
    /** The scaled batch of the current step, in arrays kept from step to step. */
    private float[][] scaledRows;

    TrainingRun(Sae sae, SaeTrainingConfig config, List<Consumer<TrainingMetrics>> listeners, long totalSteps) {
        this.sae = sae;
        this.config = config;
        this.listeners = List.copyOf(listeners);
        this.totalSteps = totalSteps;
        this.workers = new Workers(config.threads());
        this.model = new TrainingModel(sae);
        this.density = new FeatureDensity(sae.dSae());
        this.gradients = new GradientStep(model, workers);
        this.kAux = config.kAux() > 0 ? config.kAux() : Math.max(1, sae.dIn() / 2);
        this.started = System.nanoTime();
    }

    /** Batches already consumed (trained on or skipped): where a resumed pass must continue. */
    long batchesConsumed() {
        return step + skipped;
    }

    boolean done() {
        return step >= totalSteps;
    }

    /** Restores a checkpoint written by an earlier run of the same SAE and config. */
    void restore(Path checkpoint) {
        TrainingCheckpoint.State s = TrainingCheckpoint.read(checkpoint, model, density);
        step = s.step();
        tokens = s.tokens();
        scale = s.inputScale();
        skipped = s.skippedBatches();
        model.batchTopKThreshold = s.batchTopKThreshold();
        history.addAll(s.history());
    }

    /** Estimates the input scale (mean norm → √d_in) and sets {@code b_dec} to the mean, from a data sample. */
    void initialise(ActivationSource source) {
        if (config.initEncoderAsDecoderTranspose()) {
            model.tieEncoderToDecoder(config.decoderInitNorm());
        }
        if (!config.normalizeActivations() && !config.initBDecToMean()) {
            return;
        }
        int d = sae.dIn();
        double[] sum = new double[d];
        double normSum = 0;
        long n = 0;
        Iterator<float[][]> sample = source.batches(config.batchSize(), 1);
        try {
            while (n < config.initSampleRows() && sample.hasNext()) {
                for (float[] row : sample.next()) {
                    double norm = squaredNorm(row);
                    if (!Double.isFinite(norm) || row.length != d) {
                        continue;
                    }
                    for (int c = 0; c < d; c++) {
                        sum[c] += row[c];
                    }
                    normSum += Math.sqrt(norm);
                    n++;
                }
            }
        } finally {
            PrefetchingIterator.closeIfCloseable(sample);
        }
        if (n == 0) {
            throw new SaeException("the data source is empty: no activation rows to train on");
        }
        scale = config.normalizeActivations() && normSum > 0 ? (float) (Math.sqrt(d) / (normSum / n)) : 1f;
        if (config.initBDecToMean()) {
            for (int c = 0; c < d; c++) {
                model.bDec.vector()[c] = (float) (sum[c] / n * scale);
            }
        }
    }

    private static double squaredNorm(float[] row) {
        double norm = 0;
        for (float v : row) {
            norm += (double) v * v;
        }
        return norm;
    }

    /** Trains on one batch ({@code [rows][d_in]}); a batch with non-finite values is skipped or stops training. */
    void step(float[][] batch) {
        long batchIndex = batchesConsumed() + 1;
        float[][] x = scaled(batch, batchIndex);
        if (x == null) {
            skipped++;
            return;
        }
        int rows = batch.length;
        boolean[] dead = usesAux() ? density.deadMask(config.deadFeatureWindow()) : null;
        GradientStep.Result r = gradients.run(x, dead, config.auxLossCoefficient(), kAux,
                sparsityCoefficient(), config.jumpReluBandwidth(), config.codePath());
        if (!Double.isFinite(r.loss())) {
            throw new SaeException("training diverged at step " + (step + 1) + ": the loss became " + r.loss()
                    + " (lr " + config.lr() + "); lower the learning rate. "
                    + TrainingCheckpoint.latest(config.checkpointDir())
                            .map(p -> "The last good checkpoint is " + p + ".").orElse("No checkpoint was written."));
        }
        applyUpdate(step + 1);
        step++;
        if (config.resampleDeadEvery() > 0 && step % config.resampleDeadEvery() == 0) {
            DeadLatentResampler.resample(model, density.deadMask(config.deadFeatureWindow()), x, r.reconstruction(),
                    config.seed() + step);
        }
        tokens += rows;
        density.add(r.activeCounts(), rows);
        stats.addReconstruction(x, r.reconstruction());
        stats.addCodes(rows, r.activeTotal(), r.codeSum());
        interval.add(r, rows);
        if (step % config.metricsEvery() == 0 || step == totalSteps) {
            logMetrics();
            if (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0) {
                checkpoint();
            }
        }
    }

    /** Writes the trained weights and input scale into the SAE (and a final checkpoint and history.json). */
    TrainingResult finish() {
        if (interval.steps > 0) {
            // the data ran out before the planned step count (skipped batches): log the steps since the last line
            logMetrics();
        }
        model.copyInto(sae);
        sae.setInputScale(scale);
        if (config.checkpointDir() != null) {
            checkpoint();
            writeHistory(config.checkpointDir().resolve("history.json"));
        }
        return new TrainingResult(step, tokens, skipped, (System.nanoTime() - started) / 1e9,
                history.stream().map(TrainingMetrics::fromMap).toList(), density.frequencies());
    }

    private void logMetrics() {
        double seconds = (System.nanoTime() - started) / 1e9;
        TrainingMetrics m = new TrainingMetrics(step, totalSteps, tokens, learningRate(step),
                interval.loss(), stats.mse(), interval.aux(), interval.sparsity(),
                stats.explainedVariance(), stats.l0(), stats.l1(), stats.l2Ratio(),
                density.deadFraction(config.deadFeatureWindow()),
                density.denseFraction(config.denseFeatureThreshold()),
                seconds > 0 ? interval.tokensThisRun / seconds : 0);
        history.add(m.toMap());
        listeners.forEach(l -> l.accept(m));
        stats = new ReconstructionStats();
        interval.reset();
    }

    private void checkpoint() {
        TrainingCheckpoint.write(config.checkpointDir(), model, density, new TrainingCheckpoint.State(
                step, tokens, scale, model.batchTopKThreshold, skipped, history, config.toMap()));
    }

    private boolean usesAux() {
        return model.rule.selectsK()
                && config.auxLossCoefficient() > 0;
    }

    /** A scaled copy of a batch (in arrays kept from step to step); null when it holds NaN/Inf and the policy skips it. */
    private float[][] scaled(float[][] batch, long batchIndex) {
        int d = sae.dIn();
        scaledRows = Rows.reuse(scaledRows, batch.length, d);
        float[][] x = scaledRows;
        for (int r = 0; r < batch.length; r++) {
            float[] row = batch[r];
            if (row.length != d) {
                throw new SaeException("batch " + batchIndex + " row " + r + " has " + row.length + " values, expected d_in="
                        + d);
            }
            int c = firstNonFinite(row);
            if (c >= 0) {
                if (config.nonFinitePolicy() == SaeTrainingConfig.NonFinitePolicy.SKIP_BATCH) {
                    return null;
                }
                throw new SaeException("batch " + batchIndex + " row " + r + " column " + c + " holds " + row[c]
                        + "; activations must be finite (set nonFinitePolicy(SKIP_BATCH) to skip such batches)");
            }
            float[] out = x[r];
            for (int i = 0; i < d; i++) {
                out[i] = row[i] * scale;
            }
        }
        return x;
    }

    /** The first column holding NaN or ±∞, −1 when there is none. */
    private static int firstNonFinite(float[] row) {
        for (int c = 0; c < row.length; c++) {
            if (!Float.isFinite(row[c])) {
                return c;
            }
        }
        return -1;
    }

    private double sparsityCoefficient() {
        if (model.rule == TrainingRule.RELU_L1) {
            double warm = config.l1WarmUpSteps() > 0 ? Math.min(1.0, (step + 1) / (double) config.l1WarmUpSteps()) : 1.0;
            return config.l1Coefficient() * warm;
        }
        return model.rule == TrainingRule.JUMP_RELU_L0 ? config.l0Coefficient() : 0;
    }

    /** Learning rate at (1-based) step: linear warm-up, constant, linear decay to 0 over the last steps. */
    double learningRate(long step) {
        double factor = 1.0;
        if (config.lrWarmUpSteps() > 0) {
            factor = Math.min(factor, step / (double) config.lrWarmUpSteps());
        }
        if (config.lrDecaySteps() > 0) {
            factor = Math.min(factor, (totalSteps - step + 1) / (double) config.lrDecaySteps());
        }
        return config.lr() * Math.max(0, factor);
    }

    private void applyUpdate(long step) {
        float clip = config.maxGradNorm() > 0 ? clipFactor() : 1f;
        float lr = (float) learningRate(step);
        for (ParamTensor p : model.trainable()) {
            boolean unitRows = p == model.wDec && config.normalizeDecoder();
            p.adam(workers, lr, (float) config.adamBeta1(), (float) config.adamBeta2(), 1e-8f, step, clip, unitRows);
        }
    }

    /**
     * Global gradient clipping: the factor that brings the gradient's norm down to the maximum (1 below it). With
     * unit-norm decoder rows, the decoder's gradient counts without its component along each row, as Adam applies it.
     */
    private float clipFactor() {
        double decoder = config.normalizeDecoder() ? model.wDec.gradSquaredSumOrthogonalToRows()
                : model.wDec.gradSquaredSum(gradients.touchedDecoderRows());
        double squared = decoder + model.wEncT.gradSquaredSum(gradients.touchedEncoderRows())
                + model.bEnc.gradSquaredSum(null) + model.bDec.gradSquaredSum(null)
                + (model.logThreshold == null ? 0 : model.logThreshold.gradSquaredSum(null));
        double norm = Math.sqrt(squared);
        return norm > config.maxGradNorm() ? (float) (config.maxGradNorm() / norm) : 1f;
    }

    private void writeHistory(Path file) {
        try {
            AtomicFiles.write(file, out -> JSON.writeValue(out, history));
        } catch (IOException e) {
            throw new SaeException(e.getMessage(), e);
        }
    }

    /** Loss terms averaged over the steps since the last metrics line. */
    private static final class Interval {
        private double loss;
        private double aux;
        private double sparsity;
        private int steps;
        private long tokensThisRun;

        void add(GradientStep.Result r, int rows) {
            loss += r.loss();
            aux += r.auxLoss();
            sparsity += r.sparsityLoss();
            steps++;
            tokensThisRun += rows;
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

    @Override
    public void close() {
        workers.close();
    }
}
