package io.microw.cli;

import picocli.CommandLine.Command;

/** {@code microw activations save|list|info}: save a model's activations over texts into a store, and look at runs. */
@Command(name = "activations",
        description = "Save layer activations over texts into a store (mi-crow's layout), list runs, show a run.",
        subcommands = {ActivationsSaveCommand.class, ActivationsListCommand.class, ActivationsInfoCommand.class})
final class ActivationsCommand extends CommandGroup {

    /** The store directory commands use when none is given. */
    static final String DEFAULT_STORE = "microw-store";
}
