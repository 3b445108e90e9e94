package io.microw.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The machine check printed beside a benchmark's number ({@code calib} in BENCHMARKS.md): the time of one float32
 * matrix product {@code [m, k] · [k, n]} in microw's engine, with the threads already set, measured in the same run.
 * For the forward it is the 1024³ product (how fast the machine is right now); for SAE training it is the one dense
 * product training cannot avoid (batch × d_in × d_sae), whose time bounds the training's tokens/s.
 *
 * @param m       rows of the left factor
 * @param k       the shared dimension
 * @param n       columns of the right factor
 * @param seconds the median time of one product
 */
record EngineCalib(int m, int k, int n, double seconds) {

    /** Timed products after one untimed one. */
    static final int REPS = 3;

    /**
     * Times {@value #REPS} products of random factors after one warm-up, in a manager of its own.
     *
     * @return the median product's time
     */
    static EngineCalib measure(int m, int k, int n) {
        double[] times = new double[REPS];
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = manager.randomNormal(new Shape(m, k));
            NDArray b = manager.randomNormal(new Shape(k, n));
            for (int i = -1; i < REPS; i++) {
                long start = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    if (c.getShape().get(1) != n) {
                        throw new IllegalStateException("the product has shape " + c.getShape());
                    }
                }
                if (i >= 0) {
                    times[i] = (System.nanoTime() - start) / 1e9;
                }
            }
        }
        return new EngineCalib(m, k, n, ForwardBenchmark.median(times));
    }

    /** The product's speed, 2·m·k·n floating-point operations over its time. */
    double gflops() {
        return 2.0 * m * k * n / seconds / 1e9;
    }
}
