package io.microw.cli;

import picocli.CommandLine.Command;

/** {@code microw concepts top|discover|name|export|dashboard}: what an SAE's latents stand for. */
@Command(name = "concepts",
        description = "Find what an SAE's latents respond to: top contexts, Brown POS/genre discovery, a concept "
            + "dictionary, exports and an HTML dashboard.",
        subcommands = {ConceptsTopCommand.class, ConceptsDiscoverCommand.class, ConceptsNameCommand.class,
            ConceptsExportCommand.class, ConceptsDashboardCommand.class},
        footer = {"", "Example:",
            "  microw concepts top --sae sae-h2/sae --layer transformer.h.2 --brown validation --limit 500",
            "  microw concepts discover --sae sae-h2/sae --layer transformer.h.2 --out concepts.json"})
final class ConceptsCommand extends CommandGroup {
}
