package io.microw.cli;

import io.microw.sae.PretrainedSaes;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The {@code --registry FILE} option of the commands that read the registry of published SAEs. */
final class SaeRegistryOptions {

    @Option(names = "--registry", paramLabel = "FILE",
            description = "A newer copy of SAELens' pretrained_saes.yaml to use instead of the bundled one "
                    + "(default: the file named by -Dmicrow.sae.registry or MICROW_SAE_REGISTRY, else the bundled copy).")
    Path registry;

    /** The registry to use. */
    PretrainedSaes registry() {
        return registry == null ? PretrainedSaes.defaults() : PretrainedSaes.read(registry);
    }
}
