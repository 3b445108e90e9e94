package io.microw.sae.train;

import io.microw.sae.SaeException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training recipe, with SAELens' option names in camel case. Defaults are the standard TopK recipe
 * (Adam lr 4e-4, batch 4096, AuxK 1/32, dead after 10M tokens, clip 1.0, unit-norm decoder rows with the parallel
 * gradient removed, encoder initialised as the decoder's transpose, {@code b_dec} at the data mean, inputs
 * scaled to mean norm √d_in). Build with {@link #builder()}; {@link #toMap()} gives the snake_case names written
 * to {@code training_config.json}.
 */
public final class SaeTrainingConfig {

    /** What to do with a batch that contains NaN or infinite activations. */
    public enum NonFinitePolicy {
        /** Stop the training with an error naming the batch. */
        STOP,
        /** Skip the batch and go on. */
        SKIP_BATCH
    }

    /** Which gradient computation to use: sparse kernels, dense matrix products, or chosen by code density. */
    public enum CodePath {
        /** Sparse or dense, chosen by code density. */
        AUTO,
        /** Sparse kernels over the active latents only. */
        SPARSE,
        /** Dense matrix products. */
        DENSE
    }

    private final Builder b;

    private SaeTrainingConfig(Builder b) {
        this.b = b.copy();
    }

    /**
     * A builder with the default recipe.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from this config.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return b.copy();
    }

    /** {@return the Adam learning rate} */
    public double lr() { return b.lr; }
    /** {@return the steps of linear learning-rate warm-up} */
    public int lrWarmUpSteps() { return b.lrWarmUpSteps; }
    /** {@return the final steps of linear learning-rate decay} */
    public int lrDecaySteps() { return b.lrDecaySteps; }
    /** {@return Adam's beta1} */
    public double adamBeta1() { return b.adamBeta1; }
    /** {@return Adam's beta2} */
    public double adamBeta2() { return b.adamBeta2; }
    /** {@return the tokens (rows) per step} */
    public int batchSize() { return b.batchSize; }
    /** {@return the tokens to train on, 0 to train for {@link #epochs()} passes} */
    public long totalTrainingTokens() { return b.totalTrainingTokens; }
    /** {@return the passes over the data when no token total is set} */
    public int epochs() { return b.epochs; }
    /** {@return the L1 penalty of the standard SAE} */
    public double l1Coefficient() { return b.l1Coefficient; }
    /** {@return the steps over which the L1 coefficient ramps up} */
    public int l1WarmUpSteps() { return b.l1WarmUpSteps; }
    /** {@return the L0 penalty of the JumpReLU SAE} */
    public double l0Coefficient() { return b.l0Coefficient; }
    /** {@return the width of the JumpReLU straight-through estimator's kernel} */
    public double jumpReluBandwidth() { return b.jumpReluBandwidth; }
    /** {@return the weight of the AuxK loss, 0 for none} */
    public double auxLossCoefficient() { return b.auxLossCoefficient; }
    /** {@return the latents used by the AuxK loss, 0 for d_in / 2} */
    public int kAux() { return b.kAux; }
    /** {@return the tokens without firing after which a latent counts as dead} */
    public long deadFeatureWindow() { return b.deadFeatureWindow; }
    /** {@return the firing frequency above which a latent counts as dense} */
    public double denseFeatureThreshold() { return b.denseFeatureThreshold; }
    /** {@return the norm of the initial decoder rows} */
    public double decoderInitNorm() { return b.decoderInitNorm; }
    /** {@return whether decoder rows are kept at unit norm} */
    public boolean normalizeDecoder() { return b.normalizeDecoder; }
    /** {@return whether a fresh training starts with the encoder as the decoder's transpose} */
    public boolean initEncoderAsDecoderTranspose() { return b.initEncoderAsDecoderTranspose; }
    /** {@return the global gradient-norm clip, 0 for none} */
    public double maxGradNorm() { return b.maxGradNorm; }
    /** {@return the steps between resamplings of dead latents, 0 for none} */
    public int resampleDeadEvery() { return b.resampleDeadEvery; }
    /** {@return the seed of initialisation and sampling} */
    public long seed() { return b.seed; }
    /** {@return whether inputs are scaled to mean norm √d_in} */
    public boolean normalizeActivations() { return b.normalizeActivations; }
    /** {@return whether {@code b_dec} starts at the data mean} */
    public boolean initBDecToMean() { return b.initBDecToMean; }
    /** {@return the rows read to estimate the input scale and mean} */
    public int initSampleRows() { return b.initSampleRows; }
    /** {@return the steps between metrics lines} */
    public int metricsEvery() { return b.metricsEvery; }
    /** {@return the steps between checkpoints, 0 for the end only} */
    public int checkpointEvery() { return b.checkpointEvery; }
    /** {@return the checkpoint folder, or null} */
    public Path checkpointDir() { return b.checkpointDir; }
    /** {@return what to do with non-finite activations} */
    public NonFinitePolicy nonFinitePolicy() { return b.nonFinitePolicy; }
    /** {@return the gradient computation} */
    public CodePath codePath() { return b.codePath; }
    /** {@return the threads of the Java kernels} */
    public int threads() { return b.threads; }

    /**
     * The options under SAELens-style snake_case names.
     *
     * @return a new map from option name to value
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr", b.lr);
        m.put("lr_warm_up_steps", b.lrWarmUpSteps);
        m.put("lr_decay_steps", b.lrDecaySteps);
        m.put("adam_beta1", b.adamBeta1);
        m.put("adam_beta2", b.adamBeta2);
        m.put("train_batch_size_tokens", b.batchSize);
        m.put("total_training_tokens", b.totalTrainingTokens);
        m.put("epochs", b.epochs);
        m.put("l1_coefficient", b.l1Coefficient);
        m.put("l1_warm_up_steps", b.l1WarmUpSteps);
        m.put("l0_coefficient", b.l0Coefficient);
        m.put("jumprelu_bandwidth", b.jumpReluBandwidth);
        m.put("aux_loss_coefficient", b.auxLossCoefficient);
        m.put("k_aux", b.kAux);
        m.put("dead_feature_window", b.deadFeatureWindow);
        m.put("dense_feature_threshold", b.denseFeatureThreshold);
        m.put("decoder_init_norm", b.decoderInitNorm);
        m.put("normalize_decoder", b.normalizeDecoder);
        m.put("init_encoder_as_decoder_transpose", b.initEncoderAsDecoderTranspose);
        m.put("max_grad_norm", b.maxGradNorm);
        m.put("resample_dead_every", b.resampleDeadEvery);
        m.put("seed", b.seed);
        m.put("normalize_activations", b.normalizeActivations ? "expected_average_only_in" : "none");
        m.put("init_b_dec_to_mean", b.initBDecToMean);
        m.put("init_sample_rows", b.initSampleRows);
        m.put("metrics_every", b.metricsEvery);
        m.put("checkpoint_every", b.checkpointEvery);
        m.put("non_finite_policy", b.nonFinitePolicy.name());
        m.put("code_path", b.codePath.name());
        return m;
    }

    /** Mutable settings; {@link #build()} validates them. */
    public static final class Builder {
        private double lr = 4e-4;
        private int lrWarmUpSteps = 0;
        private int lrDecaySteps = 0;
        private double adamBeta1 = 0.9;
        private double adamBeta2 = 0.999;
        private int batchSize = 4096;
        private long totalTrainingTokens = 0;
        private int epochs = 1;
        private double l1Coefficient = 5.0;
        private int l1WarmUpSteps = 0;
        private double l0Coefficient = 1.0;
        private double jumpReluBandwidth = 0.001;
        private double auxLossCoefficient = 1.0 / 32;
        private int kAux = 0;
        private long deadFeatureWindow = 10_000_000L;
        private double denseFeatureThreshold = 0.1;
        private double decoderInitNorm = 1.0;
        private boolean normalizeDecoder = true;
        private boolean initEncoderAsDecoderTranspose = true;
        private double maxGradNorm = 1.0;
        private int resampleDeadEvery = 0;
        private long seed = 42;
        private boolean normalizeActivations = true;
        private boolean initBDecToMean = true;
        private int initSampleRows = 65_536;
        private int metricsEvery = 10;
        private int checkpointEvery = 0;
        private Path checkpointDir;
        private NonFinitePolicy nonFinitePolicy = NonFinitePolicy.STOP;
        private CodePath codePath = CodePath.AUTO;
        private int threads = Runtime.getRuntime().availableProcessors();

        private Builder() {
        }

        private Builder copy() {
            Builder c = new Builder();
            c.lr = lr; c.lrWarmUpSteps = lrWarmUpSteps; c.lrDecaySteps = lrDecaySteps;
            c.adamBeta1 = adamBeta1; c.adamBeta2 = adamBeta2; c.batchSize = batchSize;
            c.totalTrainingTokens = totalTrainingTokens; c.epochs = epochs; c.l1Coefficient = l1Coefficient;
            c.l1WarmUpSteps = l1WarmUpSteps; c.l0Coefficient = l0Coefficient; c.jumpReluBandwidth = jumpReluBandwidth;
            c.auxLossCoefficient = auxLossCoefficient; c.kAux = kAux; c.deadFeatureWindow = deadFeatureWindow;
            c.denseFeatureThreshold = denseFeatureThreshold; c.decoderInitNorm = decoderInitNorm;
            c.normalizeDecoder = normalizeDecoder;
            c.initEncoderAsDecoderTranspose = initEncoderAsDecoderTranspose; c.maxGradNorm = maxGradNorm; c.resampleDeadEvery = resampleDeadEvery;
            c.seed = seed; c.normalizeActivations = normalizeActivations; c.initBDecToMean = initBDecToMean;
            c.initSampleRows = initSampleRows; c.metricsEvery = metricsEvery; c.checkpointEvery = checkpointEvery;
            c.checkpointDir = checkpointDir; c.nonFinitePolicy = nonFinitePolicy; c.codePath = codePath;
            c.threads = threads;
            return c;
        }

        /**
         * Adam learning rate.
         *
         * @param v the learning rate
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Steps of linear learning-rate warm-up from 0.
         *
         * @param v the steps
         * @return this builder
         */
        public Builder lrWarmUpSteps(int v) { lrWarmUpSteps = v; return this; }
        /**
         * Final steps over which the learning rate decays linearly to 0.
         *
         * @param v the steps
         * @return this builder
         */
        public Builder lrDecaySteps(int v) { lrDecaySteps = v; return this; }
        /**
         * Adam's beta1 (default 0.9).
         *
         * @param v the beta1
         * @return this builder
         */
        public Builder adamBeta1(double v) { adamBeta1 = v; return this; }
        /**
         * Adam's beta2 (default 0.999).
         *
         * @param v the beta2
         * @return this builder
         */
        public Builder adamBeta2(double v) { adamBeta2 = v; return this; }
        /**
         * Tokens (rows) per step.
         *
         * @param v the batch size
         * @return this builder
         */
        public Builder batchSize(int v) { batchSize = v; return this; }
        /**
         * Stop after this many tokens (0: train for {@link #epochs} passes over the data).
         *
         * @param v the tokens, or 0
         * @return this builder
         */
        public Builder totalTrainingTokens(long v) { totalTrainingTokens = v; return this; }
        /**
         * Passes over the data when no token total is set.
         *
         * @param v the epochs
         * @return this builder
         */
        public Builder epochs(int v) { epochs = v; return this; }
        /**
         * L1 penalty of the standard SAE (codes weighted by decoder row norms).
         *
         * @param v the coefficient
         * @return this builder
         */
        public Builder l1Coefficient(double v) { l1Coefficient = v; return this; }
        /**
         * Steps over which the L1 coefficient ramps up from 0.
         *
         * @param v the steps
         * @return this builder
         */
        public Builder l1WarmUpSteps(int v) { l1WarmUpSteps = v; return this; }
        /**
         * L0 penalty of the JumpReLU SAE.
         *
         * @param v the coefficient
         * @return this builder
         */
        public Builder l0Coefficient(double v) { l0Coefficient = v; return this; }
        /**
         * Width of the JumpReLU straight-through estimator's kernel.
         *
         * @param v the bandwidth
         * @return this builder
         */
        public Builder jumpReluBandwidth(double v) { jumpReluBandwidth = v; return this; }
        /**
         * Weight of the AuxK loss that revives dead latents (TopK, BatchTopK); 0 turns it off.
         *
         * @param v the coefficient
         * @return this builder
         */
        public Builder auxLossCoefficient(double v) { auxLossCoefficient = v; return this; }
        /**
         * Latents used by the AuxK loss (0: d_in / 2, SAELens' choice).
         *
         * @param v the latents, or 0
         * @return this builder
         */
        public Builder kAux(int v) { kAux = v; return this; }
        /**
         * Tokens without firing after which a latent counts as dead.
         *
         * @param v the tokens
         * @return this builder
         */
        public Builder deadFeatureWindow(long v) { deadFeatureWindow = v; return this; }
        /**
         * Firing frequency above which a latent counts as dense.
         *
         * @param v the frequency
         * @return this builder
         */
        public Builder denseFeatureThreshold(double v) { denseFeatureThreshold = v; return this; }
        /**
         * At the start of a fresh training, scale the decoder rows to {@link #decoderInitNorm} and set the encoder to
         * the decoder's transpose (turn off to fine-tune a trained SAE).
         *
         * @param v whether to initialise so
         * @return this builder
         */
        public Builder initEncoderAsDecoderTranspose(boolean v) { initEncoderAsDecoderTranspose = v; return this; }
        /**
         * Norm of the initial decoder rows.
         *
         * @param v the norm
         * @return this builder
         */
        public Builder decoderInitNorm(double v) { decoderInitNorm = v; return this; }
        /**
         * Keep decoder rows at unit norm, removing the gradient component parallel to each row.
         *
         * @param v whether to keep unit norm
         * @return this builder
         */
        public Builder normalizeDecoder(boolean v) { normalizeDecoder = v; return this; }
        /**
         * Global gradient-norm clip (0: off).
         *
         * @param v the norm, or 0
         * @return this builder
         */
        public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
        /**
         * Every this many steps, re-initialise dead latents towards poorly reconstructed inputs (0: off).
         *
         * @param v the steps, or 0
         * @return this builder
         */
        public Builder resampleDeadEvery(int v) { resampleDeadEvery = v; return this; }
        /**
         * Seed of initialisation and sampling (default 42).
         *
         * @param v the seed
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * Scale inputs so their mean norm is √d_in (folded into the weights after training).
         *
         * @param v whether to scale inputs
         * @return this builder
         */
        public Builder normalizeActivations(boolean v) { normalizeActivations = v; return this; }
        /**
         * Start {@code b_dec} at the mean of a sample of the data.
         *
         * @param v whether to start at the mean
         * @return this builder
         */
        public Builder initBDecToMean(boolean v) { initBDecToMean = v; return this; }
        /**
         * Rows read before training to estimate the input scale and mean.
         *
         * @param v the rows
         * @return this builder
         */
        public Builder initSampleRows(int v) { initSampleRows = v; return this; }
        /**
         * Log metrics every this many steps.
         *
         * @param v the steps
         * @return this builder
         */
        public Builder metricsEvery(int v) { metricsEvery = v; return this; }
        /**
         * Write a resumable checkpoint every this many steps (0: only at the end).
         *
         * @param v the steps, or 0
         * @return this builder
         */
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        /**
         * Where checkpoints go (needed for checkpointEvery and resume).
         *
         * @param v the folder
         * @return this builder
         */
        public Builder checkpointDir(Path v) { checkpointDir = v; return this; }
        /**
         * What to do with non-finite activations (default STOP).
         *
         * @param v the policy
         * @return this builder
         */
        public Builder nonFinitePolicy(NonFinitePolicy v) { nonFinitePolicy = v; return this; }
        /**
         * Which gradient computation to use (default AUTO).
         *
         * @param v the code path
         * @return this builder
         */
        public Builder codePath(CodePath v) { codePath = v; return this; }
        /**
         * Threads for the Java kernels.
         *
         * @param v the thread count
         * @return this builder
         */
        public Builder threads(int v) { threads = v; return this; }

        /**
         * The config; checks the values.
         *
         * @return the config
         */
        public SaeTrainingConfig build() {
            positive("lr", lr);
            if (!(lr < 10)) {
                throw new SaeException("lr " + lr + " is not a plausible learning rate (expected a small positive number)");
            }
            nonNegative("lr_warm_up_steps", lrWarmUpSteps);
            nonNegative("lr_decay_steps", lrDecaySteps);
            inUnit("adam_beta1", adamBeta1);
            inUnit("adam_beta2", adamBeta2);
            if (batchSize < 1) {
                throw new SaeException("batch_size must be at least 1, got " + batchSize);
            }
            nonNegative("total_training_tokens", totalTrainingTokens);
            if (totalTrainingTokens == 0 && epochs < 1) {
                throw new SaeException("epochs must be at least 1 when total_training_tokens is not set, got " + epochs);
            }
            nonNegative("l1_coefficient", l1Coefficient);
            nonNegative("l1_warm_up_steps", l1WarmUpSteps);
            nonNegative("l0_coefficient", l0Coefficient);
            positive("jumprelu_bandwidth", jumpReluBandwidth);
            nonNegative("aux_loss_coefficient", auxLossCoefficient);
            nonNegative("k_aux", kAux);
            positive("dead_feature_window", deadFeatureWindow);
            positive("decoder_init_norm", decoderInitNorm);
            nonNegative("max_grad_norm", maxGradNorm);
            nonNegative("resample_dead_every", resampleDeadEvery);
            positive("init_sample_rows", initSampleRows);
            positive("metrics_every", metricsEvery);
            nonNegative("checkpoint_every", checkpointEvery);
            if (checkpointEvery > 0 && checkpointDir == null) {
                throw new SaeException("checkpoint_every=" + checkpointEvery + " needs a checkpoint directory");
            }
            if (checkpointEvery > 0 && checkpointEvery % metricsEvery != 0) {
                throw new SaeException("checkpoint_every=" + checkpointEvery + " must be a multiple of metrics_every="
                        + metricsEvery + " (a checkpoint is taken right after a metrics line)");
            }
            positive("threads", threads);
            return new SaeTrainingConfig(this);
        }

        private static void positive(String name, double v) {
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new SaeException(name + " must be a positive number, got " + v);
            }
        }

        private static void nonNegative(String name, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new SaeException(name + " must be zero or positive, got " + v);
            }
        }

        private static void inUnit(String name, double v) {
            if (!(v >= 0 && v < 1)) {
                throw new SaeException(name + " must be in [0, 1), got " + v);
            }
        }
    }
}
