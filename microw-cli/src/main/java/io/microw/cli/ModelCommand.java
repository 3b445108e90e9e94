package io.microw.cli;

import picocli.CommandLine.Command;

/** {@code microw model info|layers|run|generate}: look at a model, run it with hooks from flags, generate. */
@Command(name = "model",
        description = "Look at a model, run a forward with hooks from flags, or generate text.",
        subcommands = {ModelInfoCommand.class, ModelLayersCommand.class, ModelRunCommand.class,
            ModelGenerateCommand.class},
        footer = {"", "Models: --model brown-gpt2 (the embedded default), a model directory, or a Hub id (owner/name).",
            "", "Example:", "  microw model run --prompt 'The jury said' --capture layer_1 --scale transformer.h.2.mlp=3"})
final class ModelCommand extends CommandGroup {

    /** The --model option's description, shared by the subcommands. */
    static final String MODEL_HELP = "brown-gpt2 (the embedded default), a model directory, or a Hub id owner/name.";
}
