package io.microw.cli;

import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.FeatureDashboard;
import io.microw.concepts.LatentSummary;
import io.microw.concepts.LatentSummaryFile;
import io.microw.concepts.TopTextTracker;
import io.microw.concepts.TopTextsFile;
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
import java.util.function.IntToDoubleFunction;

/** {@code microw concepts dashboard}: a self-contained HTML page about chosen latents. */
@Command(name = "dashboard",
        description = {"Write a static HTML feature dashboard (one file, opens offline): per latent its name, firing "
            + "statistics, activation histogram, promoted and suppressed tokens and top contexts. Without --latents: "
            + "the dictionary's named latents, else the --count most frequent.",
            "The contexts come from a saved run or texts, or from a top-texts file exported before (--top-texts: "
            + "microw's JSON from `concepts export` or `spark top-texts`, or mi-crow's CSV, which has no windows), "
            + "with the statistics `spark stats` wrote (--statistics; without it the page says they are unknown)."},
        footer = {"", "Examples:",
            "  microw concepts dashboard --sae sae-h2/sae --layer transformer.h.2 --brown validation --limit 500 "
                + "--dictionary concepts.json --out dashboard.html",
            "  microw concepts dashboard --sae sae-h2/sae --top-texts top.json --statistics stats.json "
                + "--out dashboard.html"})
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
            description = "Without --latents or a dictionary: the N most frequent (--top-texts without --statistics: the N "
                    + "with the strongest top context) (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--dictionary", paramLabel = "FILE", description = "Concept dictionary with the latents' names "
            + "(default: the one shipped beside the SAE, as brown-gpt2-res ships one).")
    Path dictionary;

    @Option(names = "--out", required = true, paramLabel = "FILE.html", description = "HTML file to write.")
    Path out;

    @Option(names = "--top-texts", paramLabel = "FILE", description = "Contexts from this exported top-texts file "
            + "(microw's JSON, or mi-crow's CSV) instead of a run or texts.")
    Path topTexts;

    @Option(names = "--statistics", paramLabel = "FILE", description = "With --top-texts: firing statistics from "
            + "this JSON (as `microw spark stats` writes).")
    Path statistics;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        if (count < 1) {
            throw new ParameterException(cmd, "--count must be at least 1, got " + count);
        }
        if (topTexts == null) {
            source.validate(cmd);
            if (statistics != null) {
                throw new ParameterException(cmd, "--statistics goes with --top-texts FILE (a run or texts bring "
                        + "their own statistics)");
            }
        } else if (source.given()) {
            throw new ParameterException(cmd, "--top-texts FILE replaces --store/--run/--brown/--texts-file: give one");
        }
        try (Sae sae = saeOptions.open(cmd); LanguageModel lm = source.openModel()) {
            if (latents != null) {
                SaeSupport.latents(cmd, latents, sae.dSae());
            }
            Map<Integer, String> names = new LinkedHashMap<>();
            Optional<ConceptDictionary> dict = dictionary != null
                    ? Optional.of(ConceptDictionary.load(dictionary, sae.dSae())) : saeOptions.shippedConcepts(sae);
            dict.ifPresent(d -> d.concepts().forEach(c -> names.put(c.latent(), c.name())));
            FeatureDashboard dashboard;
            IntToDoubleFunction rank;
            if (topTexts != null) {
                TopTextsFile texts = TopTextsFile.read(topTexts, sae.dSae());
                LatentSummary stats = statistics == null ? null : LatentSummaryFile.read(statistics, sae.dSae());
                dashboard = new FeatureDashboard(sae, texts, stats, lm, names);
                rank = stats != null ? stats::firings : l -> texts.topTexts(l).isEmpty() ? 0
                        : texts.topTexts(l).get(0).activation();
            } else {
                String layerName = source.resolveLayer(cmd, lm, saeOptions.layer(cmd, sae));
                TopTextTracker tracker = source.track(cmd, lm, sae, layerName);
                dashboard = new FeatureDashboard(sae, tracker, lm, names);
                rank = tracker.statistics()::firings;
            }
            List<Integer> chosen = latents != null && !latents.isEmpty() ? latents
                    : !names.isEmpty() ? List.copyOf(names.keySet())
                    : ContextSourceOptions.highest(sae.dSae(), count, rank);
            dashboard.write(chosen, out);
            cmd.getOut().println("wrote a dashboard of " + chosen.size() + " latents to " + out);
            cmd.getOut().flush();
        }
        return 0;
    }
}
