package io.microw.cli;

import io.microw.io.SafetensorsFile;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;

import java.nio.file.Path;

/**
 * Times loading a model directory and running its first token, and measures the peak resident memory that takes
 * against the size of the weights (is there a second full copy of them?).
 */
final class LoadBenchmark {

    /**
     * What one load measured.
     *
     * @param weightsBytes    bytes of tensor data in the weights file
     * @param loadSeconds     {@code LanguageModel.load} alone
     * @param firstTokenSeconds load plus the forward of one token, logits read back
     * @param rssBeforeBytes  resident memory before the load (the JVM and libtorch already started), -1 if unknown
     * @param peakRssBytes    peak resident memory during load and forward, -1 if unknown
     * @param peakReset       whether the peak could be reset before the load (else it covers the whole process)
     */
    record Result(long weightsBytes, double loadSeconds, double firstTokenSeconds, long rssBeforeBytes,
                  long peakRssBytes, boolean peakReset) {

        /** Peak resident memory over the weights' size (goal: at most 1.25). */
        double peakOverWeights() {
            return (double) peakRssBytes / weightsBytes;
        }

        /** What the load and the token added to resident memory, over the weights' size (1.0: one copy). */
        double addedOverWeights() {
            return (double) (peakRssBytes - rssBeforeBytes) / weightsBytes;
        }
    }

    private LoadBenchmark() {
    }

    /**
     * Loads {@code dir} and runs one token (id 1) through it.
     *
     * @param dir a model directory with one {@code model.safetensors}
     * @return the times and memory
     */
    static Result run(Path dir) {
        long weightsBytes;
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(RandomCheckpoint.WEIGHTS))) {
            weightsBytes = f.names().stream().mapToLong(n -> f.info(n).end() - f.info(n).begin()).sum();
        }
        System.gc();
        boolean reset = ProcessMemory.resetPeak();
        long before = ProcessMemory.residentBytes().orElse(-1);
        long start = System.nanoTime();
        try (LanguageModel lm = LanguageModel.load(dir)) {
            double load = (System.nanoTime() - start) / 1e9;
            try (InferenceResult r = lm.inference().forward(new long[][] {{1}}, new long[][] {{1}})) {
                r.logits().toFloatArray();
            }
            double firstToken = (System.nanoTime() - start) / 1e9;
            long peak = ProcessMemory.peakResidentBytes().orElse(-1);
            return new Result(weightsBytes, load, firstToken, before, peak, reset);
        }
    }
}
