package io.microw.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code microw activations save|list|info}: save a model's activations over texts into a store, and look at runs. */
@Command(name = "activations",
        description = "Save layer activations over texts into a store (mi-crow's layout), list runs, show a run.",
        subcommands = {ActivationsSaveCommand.class, ActivationsListCommand.class, ActivationsInfoCommand.class})
final class ActivationsCommand implements Callable<Integer> {

    /** The store directory commands use when none is given. */
    static final String DEFAULT_STORE = "microw-store";

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("microw activations: name a subcommand: save, list or info");
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.EXIT_USAGE;
    }
}
