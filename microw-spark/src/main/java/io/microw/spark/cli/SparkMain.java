package io.microw.spark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code microw-spark}: microw's Spark jobs from the command line ({@code extract}, {@code stats}, {@code top-texts},
 * {@code annotate}); run with {@code java -jar} (the bundle, local mode) or {@code spark-submit} (a cluster).
 */
@Command(name = "microw-spark", mixinStandardHelpOptions = true,
        description = "microw on Apache Spark: extraction, feature statistics, top texts, annotation.",
        subcommands = {ExtractCommand.class, StatsCommand.class, TopTextsCommand.class, AnnotateCommand.class,
            BenchCommand.class})
public final class SparkMain implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line without exiting: 0 on success, 1 on a failed job, 2 on a usage error.
     *
     * @param args the arguments
     * @return the exit status
     */
    public static int run(String... args) {
        return new CommandLine(new SparkMain())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("microw-spark: " + rootMessage(e));
                    return 1;
                })
                .execute(args);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && !(t instanceof IllegalArgumentException)
                && !(t instanceof IllegalStateException)) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
