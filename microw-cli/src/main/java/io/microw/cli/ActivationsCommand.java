package io.microw.cli;

import picocli.CommandLine.Command;

/**
 * {@code microw activations save|list|info|delete}: save a model's activations over texts into a store, look at
 * runs, delete one.
 */
@Command(name = "activations",
        description = "Save layer activations over texts into a store (mi-crow's layout), list runs, show or delete a run.",
        subcommands = {ActivationsSaveCommand.class, ActivationsListCommand.class, ActivationsInfoCommand.class,
            ActivationsDeleteCommand.class},
        footer = {"", "A save stopped by Ctrl-C keeps its complete batches; continue it with",
            "  microw activations save --resume --run ID ... (the same flags as before).",
            "", "Example:", "  microw activations save --brown validation --layers transformer.h.2 --run h2"})
final class ActivationsCommand extends CommandGroup {

    /** The store directory commands use when none is given. */
    static final String DEFAULT_STORE = "microw-store";
}
