package io.microw.cli;

import io.microw.sae.Sae;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --sae DIR} and {@code --layer LAYER} options of the commands that run an SAE on a model. */
final class SaeLayerOptions {

    @Option(names = "--sae", required = true, paramLabel = "DIR", description = "SAE folder (SAELens layout).")
    Path saeDir;

    @Option(names = "--layer", paramLabel = "LAYER",
            description = "Layer the SAE reads (default: the layer recorded in its cfg.json).")
    String layer;

    /** Opens the SAE (a missing or invalid folder is a usage error). */
    Sae open(CommandLine cmd) {
        return SaeSupport.openSae(cmd, saeDir);
    }

    /** The layer given, or the one the SAE records. */
    String layer(CommandLine cmd, Sae sae) {
        return SaeSupport.layer(cmd, layer, sae);
    }
}
