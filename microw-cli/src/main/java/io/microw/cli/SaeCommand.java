package io.microw.cli;

import picocli.CommandLine.Command;

/**
 * {@code microw sae train|eval|info|export|pull|list-releases}: train sparse autoencoders, evaluate them, look at and
 * copy them, fetch published ones.
 */
@Command(name = "sae",
        description = "Train a sparse autoencoder on a layer's activations, evaluate it, show it, export it; fetch "
                + "published SAEs by release.",
        subcommands = {SaeTrainCommand.class, SaeEvalCommand.class, SaeInfoCommand.class, SaeExportCommand.class,
            SaePullCommand.class, SaeListReleasesCommand.class},
        footer = {"", "Example:",
            "  microw activations save --brown train --layers transformer.h.2 --store st --run h2",
            "  microw sae train --store st --run h2 --layer transformer.h.2 --d-sae 4096 --k 32 --out sae-h2",
            "  microw sae eval --sae sae-h2/sae --layer transformer.h.2 --brown validation",
            "  microw sae eval --sae brown-gpt2-res:blocks.2.hook_resid_post --brown validation"})
final class SaeCommand extends CommandGroup {
}
