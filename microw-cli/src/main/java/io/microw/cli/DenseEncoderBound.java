package io.microw.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The one product an SAE training step cannot avoid, {@code x [batch, d_in] · W_enc [d_in, d_sae]}, timed in the
 * engine that trains (same process, same threads), as the PyTorch peer writes it ({@code x @ W_enc}). A step can
 * take no less than this product, so {@code batch ÷ its time} is the bound on training tokens/s. Owns its
 * engine arrays; close it when done.
 */
final class DenseEncoderBound implements AutoCloseable {

    private final NDManager manager = NDManager.newBaseManager(Device.cpu());
    private final NDArray x;
    private final NDArray w;
    private final long flops;
    private final List<Long> nanos = new ArrayList<>();

    /**
     * Random operands of the workload's shape; runs the product once to warm up (not recorded).
     *
     * @param batch rows of x
     * @param dIn   input width
     * @param dSae  latents
     * @param seed  seed of the values
     */
    DenseEncoderBound(int batch, int dIn, int dSae, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        x = manager.create(SaeTrainingBenchmark.gaussian(random, batch * dIn), new Shape(batch, dIn));
        w = manager.create(SaeTrainingBenchmark.gaussian(random, dIn * dSae), new Shape(dIn, dSae));
        flops = 2L * batch * dIn * dSae;
        try (NDArray warmUp = x.matMul(w)) {
            warmUp.getShape();
        }
    }

    /**
     * Times one product (its result freed at once) and records it.
     *
     * @return the nanoseconds it took
     */
    long measure() {
        long start = System.nanoTime();
        try (NDArray product = x.matMul(w)) {
            product.getShape();
        }
        long elapsed = System.nanoTime() - start;
        nanos.add(elapsed);
        return elapsed;
    }

    /** Seconds of the median product measured so far. */
    double medianSeconds() {
        if (nanos.isEmpty()) {
            throw new IllegalStateException("the dense encoder product has not been measured yet");
        }
        List<Long> sorted = nanos.stream().sorted().toList();
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
        return median / 1e9;
    }

    /** GFLOP/s of the median product. */
    double gflops() {
        return flops / medianSeconds() / 1e9;
    }

    /** Number of products measured. */
    int count() {
        return nanos.size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
