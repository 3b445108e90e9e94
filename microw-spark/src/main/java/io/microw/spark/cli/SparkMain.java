package io.microw.spark.cli;

import io.microw.cli.Main;

import java.util.stream.Stream;

/**
 * An alias of {@code microw spark} for {@code spark-submit --class io.microw.spark.cli.SparkMain jar extract ...}:
 * the arguments are those of {@code microw spark}, with the exit codes of {@code microw} (0 success, 1 usage error,
 * 2 a failed job).
 */
public final class SparkMain {

    private SparkMain() {
    }

    /**
     * Runs {@code microw spark ARGS} and exits with its status.
     *
     * @param args the arguments after {@code spark}
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs {@code microw spark ARGS} without exiting.
     *
     * @param args the arguments after {@code spark}
     * @return the exit status
     */
    public static int run(String... args) {
        return Main.commandLine().execute(Stream.concat(Stream.of("spark"), Stream.of(args)).toArray(String[]::new));
    }
}
