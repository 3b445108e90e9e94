package io.microw.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code microw bench}: the benchmarks that are compared with the PyTorch peer ({@code shared/bench}). */
@Command(name = "bench",
        description = "Benchmarks, printed as one JSON line per workload plus a summary.",
        subcommands = {BenchForwardCommand.class})
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("microw bench: name a benchmark, e.g. `microw bench forward`");
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.EXIT_USAGE;
    }
}
