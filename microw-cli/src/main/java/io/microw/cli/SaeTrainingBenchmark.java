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
 * are timed from the end of the first step (warm-up) to the end of the last.
 */
final class SaeTrainingBenchmark {

    /** An SAE training shape. */
    record Workload(int dIn, int dSae, int k, int batch) {
        String label() {
            return "d_in " + dIn + " / d_sae " + dSae + " / k " + k + " / batch " + batch;
        }
    }

    /** One measured training. */
    record Result(Workload workload, CodePath path, int steps, double tokensPerSecond, double firstMse,
                  double finalMse) {
    }

    private SaeTrainingBenchmark() {
    }

    /** Trains {@code steps} steps (≥ 2) from seed-determined weights and data; the same seed gives the same start. */
    static Result run(Workload w, CodePath path, int steps, long seed, int threads) {
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
        long[] times = new long[2];
        double[] mse = new double[2];
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, w.dIn(), w.dSae(), w.k()), seed)) {
            new SaeTrainer(sae, config).onMetrics(m -> {
                long now = System.nanoTime();
                if (m.step() == 1) {
                    times[0] = now;
                    mse[0] = m.mse();
                }
                times[1] = now;
                mse[1] = m.mse();
            }).train(source);
        }
        double seconds = (times[1] - times[0]) / 1e9;
        return new Result(w, path, steps, (double) w.batch() * (steps - 1) / seconds, mse[0], mse[1]);
    }

    private static float[][] gaussianBatch(int rows, int d, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] x = new float[rows][d];
        for (float[] row : x) {
            for (int c = 0; c < d; c++) {
                double u = 1.0 - random.nextDouble();
                row[c] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble()));
            }
        }
        return x;
    }
}
