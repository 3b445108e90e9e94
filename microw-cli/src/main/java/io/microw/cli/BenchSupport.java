package io.microw.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.util.List;

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

    /** Refuses with a usage error any {@code --model} that is not a known benchmark workload. */
    static void checkWorkloads(CommandLine commandLine, List<String> models) {
        for (String m : models) {
            try {
                ForwardWorkload.byId(m);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(commandLine, "--model: " + e.getMessage());
            }
        }
    }
}
