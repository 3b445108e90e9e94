package io.microw.cli;

import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.LanguageModel;

import java.util.Random;

/**
 * Times greedy decoding with the KV cache, as the PyTorch peer's {@code generate} workload does: {@code batch}
 * prompts of {@code prompt} random tokens, {@code newTokens} new tokens each (no stop at end-of-sequence), untimed
 * warm-up runs of the whole loop first: a number of them (the peer: one), and more until some seconds have passed.
 * The JVM compiles microw's and DJL's Java code over its first seconds; on brown-gpt2, whose run takes ~0.2 s, that
 * spans about six runs (BENCHMARKS.md, "Generation: warm-up by time"). The peer has no such start-up inside its runs.
 */
final class GenerateBenchmark {

    /**
     * What one workload measured.
     *
     * @param id        the workload's id ({@code brown-gpt2}, ...)
     * @param model     its label
     * @param batch     prompts per run
     * @param prompt    tokens per prompt
     * @param newTokens new tokens asked for per prompt
     * @param generated  new tokens generated over all timed runs (batch x newTokens x runs when no row stopped early)
     * @param seconds    each timed run's seconds
     * @param warmupRuns the untimed runs before them
     */
    record Result(String id, String model, int batch, int prompt, int newTokens, long generated, double[] seconds,
                  int warmupRuns) {

        /** New tokens/s: every generated token of the timed runs over their total time (the peer's definition). */
        double newTokensPerSecond() {
            double total = 0;
            for (double s : seconds) {
                total += s;
            }
            return generated / total;
        }
    }

    private GenerateBenchmark() {
    }

    /**
     * Runs untimed greedy generations of {@code lm}, at least {@code warmup} of them and more until {@code
     * warmupSeconds} have passed, then {@code reps} timed ones, all from the same random prompts.
     *
     * @throws IllegalArgumentException when prompt plus new tokens exceed the model's positions
     */
    static Result run(ForwardWorkload w, LanguageModel lm, int batch, int prompt, int newTokens, int reps, int warmup,
                      double warmupSeconds, long seed) {
        int positions = lm.config().maxPositions();
        if (prompt + newTokens > positions) {
            throw new IllegalArgumentException("--prompt " + prompt + " plus --new-tokens " + newTokens + " is "
                    + (prompt + newTokens) + " positions, more than " + w.id + " has (" + positions + ")");
        }
        Random random = new Random(seed);
        long[][] ids = new long[batch][prompt];
        for (long[] row : ids) {
            for (int i = 0; i < prompt; i++) {
                row[i] = random.nextInt(lm.config().vocabSize());
            }
        }
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(newTokens).stopAtEos(false).build();
        int warmupRuns = 0;
        long warmupStart = System.nanoTime();
        while (warmupRuns < warmup || (System.nanoTime() - warmupStart) / 1e9 < warmupSeconds) {
            lm.inference().generate(ids, config);
            warmupRuns++;
        }
        double[] seconds = new double[reps];
        long generated = 0;
        for (int i = 0; i < reps; i++) {
            long start = System.nanoTime();
            GenerationResult result = lm.inference().generate(ids, config);
            seconds[i] = (System.nanoTime() - start) / 1e9;
            for (int row = 0; row < batch; row++) {
                generated += result.newTokens(row).length;
            }
        }
        return new Result(w.id, w.label, batch, prompt, newTokens, generated, seconds, warmupRuns);
    }
}
