package io.microw.cli;

/** Helpers shared by the {@code microw bench} commands. */
final class BenchSupport {

    private BenchSupport() {
    }

    /** Threads for the engine: {@code $THREADS} when set to a positive number, else 2 (as the PyTorch peer). */
    static int defaultThreads() {
        String env = System.getenv("THREADS");
        if (env != null && env.matches("\\d+") && Integer.parseInt(env) > 0) {
            return Integer.parseInt(env);
        }
        return 2;
    }

    /** One decimal place. */
    static double round(double x) {
        return Math.round(x * 10) / 10.0;
    }
}
