package io.microw.eval;

/**
 * How a {@link LinearProbe} trains: Adam's learning rate, the L2 penalty on the weights (of standardised
 * features), epochs, minibatch size, the fraction held out for validation and the seed of the shuffles.
 *
 * @param learningRate       Adam's step size, positive
 * @param l2                 the penalty λ·‖W‖², 0 or more
 * @param epochs             passes over the training rows, at least 1
 * @param batchSize          rows per step, at least 1
 * @param validationFraction the share of rows held out, in [0, 1)
 * @param seed               the seed of the split and of each epoch's order
 */
public record ProbeOptions(double learningRate, double l2, int epochs, int batchSize, double validationFraction,
                           long seed) {

    /**
     * Checks every setting, naming the one out of range.
     *
     * @param learningRate       Adam's step size, positive
     * @param l2                 the penalty, 0 or more
     * @param epochs             passes, at least 1
     * @param batchSize          rows per step, at least 1
     * @param validationFraction the share held out, in [0, 1)
     * @param seed               the seed
     */
    public ProbeOptions {
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive, got " + learningRate);
        }
        if (!(l2 >= 0) || !Double.isFinite(l2)) {
            throw new IllegalArgumentException("l2 must be 0 or more, got " + l2);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction);
        }
    }

    /**
     * Learning rate 0.05, L2 1e-4, 100 epochs, batches of 128, 20% held out, seed 0. Adam's first steps move every
     * weight by about the learning rate whatever its gradient, so a probe needs a few hundred steps to settle: on
     * small data, give it more epochs.
     *
     * @return the defaults
     */
    public static ProbeOptions defaults() {
        return new ProbeOptions(0.05, 1e-4, 100, 128, 0.2, 0);
    }

    /**
     * The same settings with another number of epochs.
     *
     * @param n passes over the training rows
     * @return the options
     */
    public ProbeOptions withEpochs(int n) {
        return new ProbeOptions(learningRate, l2, n, batchSize, validationFraction, seed);
    }

    /**
     * The same settings with another L2 penalty.
     *
     * @param penalty λ, 0 or more
     * @return the options
     */
    public ProbeOptions withL2(double penalty) {
        return new ProbeOptions(learningRate, penalty, epochs, batchSize, validationFraction, seed);
    }

    /**
     * The same settings with another seed.
     *
     * @param s the seed
     * @return the options
     */
    public ProbeOptions withSeed(long s) {
        return new ProbeOptions(learningRate, l2, epochs, batchSize, validationFraction, s);
    }
}
