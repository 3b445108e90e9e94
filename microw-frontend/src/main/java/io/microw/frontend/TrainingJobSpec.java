package io.microw.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeArchitectures;
import io.microw.sae.SaeConfig;
import io.microw.sae.train.SaeTrainingConfig;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An SAE training job as both front ends take it ({@code microw sae train} and the server's
 * {@code POST /api/jobs/training}), with its defaults in one place: {@link #defaults()}. Values are not range-checked
 * here; each front end checks its own inputs and names them as its users wrote them.
 *
 * <p>Where the CLI and the server used to differ, one value was kept: {@code d_sae} 4096 (the server had 256),
 * {@code batch_size} 4096 (the server had 1024), {@code metrics_every} 10 (the server had 1),
 * {@code checkpoint_every} 10 × {@code metrics_every} (the CLI had a fixed 100), {@code threads} 2 (the CLI read
 * {@code $THREADS}), {@code k} 32 without the server's cap at {@code d_sae − 1}.
 *
 * @param architecture    the SAE architecture's name or alias, resolved by {@link SaeArchitectures}
 * @param dSae            number of latents
 * @param k               latents kept per row, for the architectures that {@link SaeArchitecture#usesK() use k}
 * @param epochs          passes over the data (when {@code tokens} is 0)
 * @param tokens          train on this many tokens instead of whole epochs; 0 for epochs
 * @param lr              learning rate
 * @param lrWarmUpSteps   linear learning-rate warm-up steps
 * @param lrDecaySteps    linear decay to 0 over the last this many steps
 * @param batchSize       rows per training step
 * @param l1Coefficient   the L1 coefficient of the architectures trained with an L1 penalty
 * @param l0Coefficient   the L0 coefficient of the architectures trained with an L0 penalty
 * @param seed            initialisation and shuffling seed
 * @param metricsEvery    steps between metrics lines
 * @param checkpointEvery steps between checkpoints, a multiple of {@code metricsEvery}
 * @param threads         trainer threads
 */
public record TrainingJobSpec(String architecture, int dSae, int k, int epochs, long tokens, double lr,
                              int lrWarmUpSteps, int lrDecaySteps, int batchSize, double l1Coefficient,
                              double l0Coefficient, long seed, int metricsEvery, int checkpointEvery, int threads) {

    /** Checkpoints come every this many metrics lines unless a job says otherwise. */
    public static final int METRICS_LINES_PER_CHECKPOINT = 10;
    /** Default architecture (constants, so that the CLI's option annotations can name them). */
    public static final String DEFAULT_ARCHITECTURE = "topk";
    /** Default number of latents. */
    public static final int DEFAULT_D_SAE = 4096;
    /** Default k. */
    public static final int DEFAULT_K = 32;
    /** Default epochs. */
    public static final int DEFAULT_EPOCHS = 1;
    /** Default learning rate. */
    public static final double DEFAULT_LR = 4e-4;
    /** Default warm-up and decay steps. */
    public static final int DEFAULT_LR_STEPS = 0;
    /** Default batch size. */
    public static final int DEFAULT_BATCH_SIZE = 4096;
    /** Default L1 coefficient. */
    public static final double DEFAULT_L1 = 5.0;
    /** Default L0 coefficient. */
    public static final double DEFAULT_L0 = 1.0;
    /** Default seed. */
    public static final long DEFAULT_SEED = 42;
    /** Default steps between metrics lines. */
    public static final int DEFAULT_METRICS_EVERY = 10;
    /** Default trainer threads. */
    public static final int DEFAULT_THREADS = 2;

    private static final TrainingJobSpec DEFAULTS = new TrainingJobSpec(DEFAULT_ARCHITECTURE, DEFAULT_D_SAE,
            DEFAULT_K, DEFAULT_EPOCHS, 0, DEFAULT_LR, DEFAULT_LR_STEPS, DEFAULT_LR_STEPS, DEFAULT_BATCH_SIZE,
            DEFAULT_L1, DEFAULT_L0, DEFAULT_SEED, DEFAULT_METRICS_EVERY,
            METRICS_LINES_PER_CHECKPOINT * DEFAULT_METRICS_EVERY, DEFAULT_THREADS);

    /**
     * The defaults both front ends use for what a job leaves out.
     *
     * @return the default spec
     */
    public static TrainingJobSpec defaults() {
        return DEFAULTS;
    }

    /**
     * A builder starting from {@link #defaults()}.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The architecture, which must be trainable; the error names the value and lists the trainable ones.
     *
     * @return the architecture
     */
    public SaeArchitecture saeArchitecture() {
        return SaeArchitectures.requireTrainable(architecture);
    }

    /**
     * {@link #k()} where the architecture uses k, else 0 (as {@link SaeConfig} wants it).
     *
     * @return the effective k
     */
    public int effectiveK() {
        return saeArchitecture().usesK() ? k : 0;
    }

    /**
     * The config of the SAE this job trains.
     *
     * @param dIn   the layer's width
     * @param model the model's name, recorded in the SAE
     * @param layer the layer's name, recorded in the SAE
     * @return the SAE config
     */
    public SaeConfig saeConfig(int dIn, String model, String layer) {
        return SaeConfig.of(saeArchitecture(), dIn, dSae, effectiveK()).withSource(model, layer);
    }

    /**
     * The trainer's recipe for this job.
     *
     * @param checkpointDir where checkpoints go, or null for none
     * @return the training config
     */
    public SaeTrainingConfig trainingConfig(Path checkpointDir) {
        SaeTrainingConfig.Builder b = SaeTrainingConfig.builder().lr(lr).lrWarmUpSteps(lrWarmUpSteps)
                .lrDecaySteps(lrDecaySteps).batchSize(batchSize).l1Coefficient(l1Coefficient)
                .l0Coefficient(l0Coefficient).metricsEvery(metricsEvery).checkpointEvery(checkpointEvery)
                .seed(seed).threads(threads);
        if (checkpointDir != null) {
            b.checkpointDir(checkpointDir);
        }
        if (tokens > 0) {
            b.totalTrainingTokens(tokens);
        } else {
            b.epochs(epochs);
        }
        return b.build();
    }

    /**
     * The spec as JSON-ready values under snake_case names (the server's job parameters), architecture by its
     * SAELens name and k as {@link #effectiveK()}.
     *
     * @return the values by name, in a stable order
     */
    public Map<String, Object> toParams() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architecture", saeArchitecture().saeLensName());
        m.put("d_sae", dSae);
        m.put("k", effectiveK());
        m.put("epochs", epochs);
        m.put("tokens", tokens);
        m.put("lr", lr);
        m.put("lr_warm_up_steps", lrWarmUpSteps);
        m.put("lr_decay_steps", lrDecaySteps);
        m.put("batch_size", batchSize);
        m.put("l1_coefficient", l1Coefficient);
        m.put("l0_coefficient", l0Coefficient);
        m.put("seed", seed);
        m.put("metrics_every", metricsEvery);
        m.put("checkpoint_every", checkpointEvery);
        m.put("threads", threads);
        return m;
    }

    /**
     * Reads {@link #toParams()}' names from JSON; a missing value takes its default.
     *
     * @param params the job's parameters
     * @return the spec
     */
    public static TrainingJobSpec fromParams(JsonNode params) {
        Builder b = builder().architecture(params.path("architecture").asText(DEFAULTS.architecture))
                .dSae(params.path("d_sae").asInt(DEFAULTS.dSae))
                .k(params.path("k").asInt(DEFAULTS.k))
                .epochs(params.path("epochs").asInt(DEFAULTS.epochs))
                .tokens(params.path("tokens").asLong(DEFAULTS.tokens))
                .lr(params.path("lr").asDouble(DEFAULTS.lr))
                .lrWarmUpSteps(params.path("lr_warm_up_steps").asInt(DEFAULTS.lrWarmUpSteps))
                .lrDecaySteps(params.path("lr_decay_steps").asInt(DEFAULTS.lrDecaySteps))
                .batchSize(params.path("batch_size").asInt(DEFAULTS.batchSize))
                .l1Coefficient(params.path("l1_coefficient").asDouble(DEFAULTS.l1Coefficient))
                .l0Coefficient(params.path("l0_coefficient").asDouble(DEFAULTS.l0Coefficient))
                .seed(params.path("seed").asLong(DEFAULTS.seed))
                .metricsEvery(params.path("metrics_every").asInt(DEFAULTS.metricsEvery))
                .threads(params.path("threads").asInt(DEFAULTS.threads));
        if (params.hasNonNull("checkpoint_every")) {
            b.checkpointEvery(params.get("checkpoint_every").asInt());
        }
        return b.build();
    }

    /**
     * Builds a spec from {@link #defaults()}; {@code checkpointEvery}, unless set, follows {@code metricsEvery}
     * ({@link #METRICS_LINES_PER_CHECKPOINT} metrics lines per checkpoint).
     */
    public static final class Builder {
        private String architecture = DEFAULTS.architecture;
        private int dSae = DEFAULTS.dSae;
        private int k = DEFAULTS.k;
        private int epochs = DEFAULTS.epochs;
        private long tokens = DEFAULTS.tokens;
        private double lr = DEFAULTS.lr;
        private int lrWarmUpSteps = DEFAULTS.lrWarmUpSteps;
        private int lrDecaySteps = DEFAULTS.lrDecaySteps;
        private int batchSize = DEFAULTS.batchSize;
        private double l1Coefficient = DEFAULTS.l1Coefficient;
        private double l0Coefficient = DEFAULTS.l0Coefficient;
        private long seed = DEFAULTS.seed;
        private int metricsEvery = DEFAULTS.metricsEvery;
        private Integer checkpointEvery;
        private int threads = DEFAULTS.threads;

        private Builder() {
        }

        /** @param v the architecture's name or alias @return this builder */
        public Builder architecture(String v) {
            architecture = v;
            return this;
        }

        /** @param v number of latents @return this builder */
        public Builder dSae(int v) {
            dSae = v;
            return this;
        }

        /** @param v latents kept per row @return this builder */
        public Builder k(int v) {
            k = v;
            return this;
        }

        /** @param v passes over the data @return this builder */
        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        /** @param v tokens to train on instead of epochs, 0 for epochs @return this builder */
        public Builder tokens(long v) {
            tokens = v;
            return this;
        }

        /** @param v learning rate @return this builder */
        public Builder lr(double v) {
            lr = v;
            return this;
        }

        /** @param v warm-up steps @return this builder */
        public Builder lrWarmUpSteps(int v) {
            lrWarmUpSteps = v;
            return this;
        }

        /** @param v decay steps @return this builder */
        public Builder lrDecaySteps(int v) {
            lrDecaySteps = v;
            return this;
        }

        /** @param v rows per step @return this builder */
        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        /** @param v L1 coefficient @return this builder */
        public Builder l1Coefficient(double v) {
            l1Coefficient = v;
            return this;
        }

        /** @param v L0 coefficient @return this builder */
        public Builder l0Coefficient(double v) {
            l0Coefficient = v;
            return this;
        }

        /** @param v seed @return this builder */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** @param v steps between metrics lines @return this builder */
        public Builder metricsEvery(int v) {
            metricsEvery = v;
            return this;
        }

        /** @param v steps between checkpoints @return this builder */
        public Builder checkpointEvery(int v) {
            checkpointEvery = v;
            return this;
        }

        /** @param v trainer threads @return this builder */
        public Builder threads(int v) {
            threads = v;
            return this;
        }

        /**
         * The spec.
         *
         * @return the spec
         */
        public TrainingJobSpec build() {
            return new TrainingJobSpec(architecture, dSae, k, epochs, tokens, lr, lrWarmUpSteps, lrDecaySteps,
                    batchSize, l1Coefficient, l0Coefficient, seed, metricsEvery,
                    checkpointEvery != null ? checkpointEvery : METRICS_LINES_PER_CHECKPOINT * metricsEvery,
                    threads);
        }
    }
}
