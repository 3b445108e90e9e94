package io.microw.cli;

import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.FeatureDashboard;
import io.microw.concepts.TopTextTracker;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code microw concepts dashboard}: a self-contained HTML page about chosen latents. */
@Command(name = "dashboard",
        description = {"Write a static HTML feature dashboard (one file, opens offline): per latent its name, firing "
            + "statistics, activation histogram, promoted and suppressed tokens and top contexts. Without --latents: "
            + "the dictionary's named latents, else the --count most frequent."},
        footer = {"", "Example:",
            "  microw concepts dashboard --sae sae-h2/sae --layer transformer.h.2 --brown validation --limit 500 "
                + "--dictionary concepts.json --out dashboard.html"})
final class ConceptsDashboardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    SaeLayerOptions saeOptions;

    @Mixin
    ContextSourceOptions source;

    @Option(names = "--latents", split = ",", paramLabel = "I[,I...]", description = "Latents to show.")
    List<Integer> latents;

    @Option(names = "--count", defaultValue = "20", paramLabel = "N",
            description = "Without --latents or a dictionary: the N most frequent (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--dictionary", paramLabel = "FILE", description = "Concept dictionary with the latents' names "
            + "(default: the one shipped beside the SAE, as brown-gpt2-res ships one).")
    Path dictionary;

    @Option(names = "--out", required = true, paramLabel = "FILE.html", description = "HTML file to write.")
    Path out;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        if (count < 1) {
            throw new ParameterException(cmd, "--count must be at least 1, got " + count);
        }
        source.validate(cmd);
        try (Sae sae = saeOptions.open(cmd); LanguageModel lm = source.openModel()) {
            if (latents != null) {
                SaeSupport.latents(cmd, latents, sae.nLatents());
            }
            Map<Integer, String> names = new LinkedHashMap<>();
            Optional<ConceptDictionary> dict = dictionary != null
                    ? Optional.of(ConceptDictionary.load(dictionary, sae.nLatents())) : saeOptions.shippedConcepts(sae);
            dict.ifPresent(d -> d.concepts().forEach(c -> names.put(c.latent(), c.name())));
            String layerName = source.resolveLayer(cmd, lm, saeOptions.layer(cmd, sae));
            TopTextTracker tracker = source.track(cmd, lm, sae, layerName);
            List<Integer> chosen = latents != null && !latents.isEmpty() ? latents
                    : !names.isEmpty() ? List.copyOf(names.keySet())
                    : ContextSourceOptions.chooseLatents(cmd, null, tracker, sae.nLatents(), count);
            new FeatureDashboard(sae, tracker, lm, names).write(chosen, out);
            cmd.getOut().println("wrote a dashboard of " + chosen.size() + " latents to " + out);
            cmd.getOut().flush();
        }
        return 0;
    }
}
