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

    /**
     * Seconds of the fastest product measured so far: the bound. The product's time is bimodal on a machine where a
     * fresh [batch, d_sae] output sometimes gets huge pages and sometimes faults in 4 KiB pages (405 against 560–600
     * ms at 4096 × 768 × 24576 on the 2-core test machine, alternating within one run); a step can take no less than
     * the fast one, so a median would sometimes flatter the trainer.
     */
    double fastestSeconds() {
        return sorted().get(0) / 1e9;
    }

    /** Seconds of the median product measured so far (reported beside the fastest). */
    double medianSeconds() {
        List<Long> sorted = sorted();
        int n = sorted.size();
        double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
        return median / 1e9;
    }

    private List<Long> sorted() {
        if (nanos.isEmpty()) {
            throw new IllegalStateException("the dense encoder product has not been measured yet");
        }
        return nanos.stream().sorted().toList();
    }

    /** GFLOP/s of the fastest product. */
    double gflops() {
        return flops / fastestSeconds() / 1e9;
    }

    /** GFLOP/s of the median product. */
    double medianGflops() {
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
