package io.microw.spark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code microw spark}: microw's Spark jobs ({@code extract}, {@code stats}, {@code top-texts}, {@code annotate},
 * {@code bench}); added to {@code microw} by {@link SparkPlugin} when this module is on the classpath.
 */
@Command(name = "spark",
        description = "microw on Apache Spark: extraction, feature statistics, top texts, annotation.",
        subcommands = {ExtractCommand.class, StatsCommand.class, TopTextsCommand.class, AnnotateCommand.class,
            BenchCommand.class})
public final class SparkCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    /** {@code microw spark} alone prints its usage. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
