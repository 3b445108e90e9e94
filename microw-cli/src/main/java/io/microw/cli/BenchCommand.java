package io.microw.cli;

import picocli.CommandLine.Command;

/** {@code microw bench}: the benchmarks that are compared with the PyTorch peer ({@code shared/bench}), and a load check of the REST server. */
@Command(name = "bench",
        description = "Benchmarks, printed as one JSON line per workload plus a summary.",
        subcommands = {BenchForwardCommand.class, BenchGradientsCommand.class, BenchPatchingCommand.class,
            BenchSaeCommand.class, BenchSaeQualityCommand.class, BenchServeCommand.class,
            BenchGenerateCommand.class, BenchLoadCommand.class})
final class BenchCommand extends CommandGroup {
}
