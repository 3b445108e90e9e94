package io.microw.cli;

import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.train.ActivationSource;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.sae.train.SaeTrainingConfig.CodePath;

import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * The PyTorch peer's {@code sae} workload run through microw's {@link SaeTrainer}: TopK training steps (encode,
 * top-k, decode, MSE, Adam, decoder row renormalisation) on one fixed Gaussian batch, as the peer does. Tokens/s
 * are timed from the end of the warm-up steps (one, as the peer, unless asked for more: on two cores the JIT compiles
 * the kernels into the fifth step at the large shape) to the end of the last. After every step the run times the dense encoder product
 * alone ({@link DenseEncoderBound}, excluded from the training time): the fastest gives the bound, the tokens/s of
 * a step that did nothing but that product.
 */
final class SaeTrainingBenchmark {

    /** An SAE training shape. */
    record Workload(int dIn, int dSae, int k, int batch) {
        String label() {
            return "d_in " + dIn + " / d_sae " + dSae + " / k " + k + " / batch " + batch;
        }
    }

    /**
     * One measured training.
     *
     * @param warmup               steps before the timed ones
     * @param boundTokensPerSecond batch ÷ the fastest time of the dense encoder product in the same run
     * @param boundGflops          that product's GFLOP/s
     * @param boundMedianGflops    the median product's GFLOP/s
     * @param boundProducts        how many products were timed
     */
    record Result(Workload workload, CodePath path, int steps, int warmup, double tokensPerSecond, double firstMse,
                  double finalMse, double boundTokensPerSecond, double boundGflops, double boundMedianGflops,
                  int boundProducts) {

        /** Tokens/s as a fraction of the bound. */
        double fractionOfBound() {
            return tokensPerSecond / boundTokensPerSecond;
        }
    }

    private SaeTrainingBenchmark() {
    }

    /**
     * Trains {@code steps} steps, the first {@code warmup} (≥ 1, < steps) untimed, from seed-determined weights and
     * data; the same seed gives the same start.
     */
    static Result run(Workload w, CodePath path, int steps, int warmup, long seed, int threads) {
        if (warmup < 1 || warmup >= steps) {
            throw new IllegalArgumentException("expected 1 <= warmup < steps, got warmup " + warmup + " of " + steps);
        }
        float[][] batch = gaussianBatch(w.batch(), w.dIn(), seed);
        ActivationSource source = new ActivationSource() {
            @Override
            public int width() {
                return w.dIn();
            }

            @Override
            public long rowsPerEpoch() {
                return -1;
            }

            @Override
            public Iterator<float[][]> batches(int size, int epochs) {
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return true;
                    }

                    @Override
                    public float[][] next() {
                        return batch;
                    }
                };
            }
        };
        SaeTrainingConfig config = SaeTrainingConfig.builder().lr(1e-4).batchSize(w.batch())
                .totalTrainingTokens((long) w.batch() * steps).auxLossCoefficient(0).maxGradNorm(0)
                .normalizeActivations(false).initBDecToMean(false).metricsEvery(1).codePath(path)
                .threads(threads).seed(seed).build();
        long[] times = new long[3];
        double[] mse = new double[2];
        try (DenseEncoderBound bound = new DenseEncoderBound(w.batch(), w.dIn(), w.dSae(), seed + 1);
             Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, w.dIn(), w.dSae(), w.k()), seed)) {
            new SaeTrainer(sae, config).onMetrics(m -> {
                long now = System.nanoTime();
                if (m.step() == 1) {
                    mse[0] = m.mse();
                }
                if (m.step() == warmup) {
                    times[0] = now;
                }
                times[1] = now;
                mse[1] = m.mse();
                long product = bound.measure();
                if (m.step() >= warmup && m.step() < steps) {
                    times[2] += product; // inside the timed window: not training time
                }
            }).train(source);
            double seconds = (times[1] - times[0] - times[2]) / 1e9;
            return new Result(w, path, steps, warmup, (double) w.batch() * (steps - warmup) / seconds, mse[0], mse[1],
                    w.batch() / bound.fastestSeconds(), bound.gflops(), bound.medianGflops(), bound.count());
        }
    }

    /** {@code n} standard normal floats. */
    static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double u = 1.0 - random.nextDouble();
            v[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble()));
        }
        return v;
    }

    private static float[][] gaussianBatch(int rows, int d, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] x = new float[rows][];
        for (int r = 0; r < rows; r++) {
            x[r] = gaussian(random, d);
        }
        return x;
    }
}
