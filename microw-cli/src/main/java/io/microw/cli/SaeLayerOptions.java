package io.microw.cli;

import io.microw.concepts.ConceptDictionary;
import io.microw.sae.Sae;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.Optional;


/** The {@code --sae DIR|RELEASE:ID} and {@code --layer LAYER} options of the commands that run an SAE on a model. */
final class SaeLayerOptions {

    @Option(names = "--sae", required = true, paramLabel = "DIR|RELEASE:ID", converter = SaeSource.Converter.class,
            description = "SAE folder (SAELens layout), or a published SAE by release and id "
                    + "(e.g. brown-gpt2-res:blocks.2.hook_resid_post; see `microw sae list-releases`).")
    SaeSource sae;

    @Option(names = "--layer", paramLabel = "LAYER",
            description = "Layer the SAE reads (default: the layer recorded in its cfg.json).")
    String layer;

    /** Opens the SAE (a missing or invalid folder is a usage error). */
    Sae open(CommandLine cmd) {
        return SaeSupport.openSae(cmd, sae);
    }

    /** The concept dictionary shipped beside the SAE ({@code concepts.json} in its folder or release), if any. */
    Optional<ConceptDictionary> shippedConcepts(Sae sae) {
        return ConceptDictionary.besideSae(this.sae.folder(sae), sae.dSae());
    }

    /** The layer given, or the one the SAE records. */
    String layer(CommandLine cmd, Sae sae) {
        return SaeSupport.layer(cmd, layer, sae);
    }
}
