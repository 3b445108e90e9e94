package io.microw.cli;

import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.NeuronpediaExport;
import io.microw.concepts.NeuronpediaSource;
import io.microw.concepts.TopTextTracker;
import io.microw.concepts.TopTextsExport;
import io.microw.frontend.ModelReference;
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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw concepts export}: top contexts of every latent as mi-crow's JSON or CSV, or chosen latents as a
 * Neuronpedia batch (SAEDashboard's {@code batch-N.json} layout, see {@link NeuronpediaExport}).
 */
@Command(name = "export",
        description = {"Collect every latent's top contexts (from a saved run or texts) and write them: json and csv "
            + "in mi-crow's top-texts layout (all latents), neuronpedia as a Neuronpedia batch file in SAEDashboard's "
            + "batch-N.json layout (--latents, else the --count most frequent)."},
        footer = {"", "Example:",
            "  microw concepts export --sae sae-h2/sae --layer transformer.h.2 --brown validation --limit 500 "
                + "--format csv --out top-texts.csv"})
final class ConceptsExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    SaeLayerOptions saeOptions;

    @Mixin
    ContextSourceOptions source;

    @Option(names = "--format", required = true, paramLabel = "json|csv|neuronpedia", description = "Output format.")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "File to write.")
    Path out;

    @Option(names = "--latents", split = ",", paramLabel = "I[,I...]", description = "neuronpedia: latents to export.")
    List<Integer> latents;

    @Option(names = "--count", defaultValue = "50", paramLabel = "N",
            description = "neuronpedia without --latents: the N most frequent (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--neuronpedia-id", paramLabel = "MODEL/LAYER-SET",
            description = "neuronpedia: where the features go, e.g. gpt2-small/0-res-jb (default: the SAE's "
                + "neuronpedia_id, else MODEL/<layer number>-microw).")
    String neuronpediaId;

    @Option(names = "--dictionary", paramLabel = "FILE",
            description = "neuronpedia: concept dictionary whose names become the features' explanations.")
    Path dictionary;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        String f = format.toLowerCase(Locale.ROOT);
        if (!List.of("json", "csv", "neuronpedia").contains(f)) {
            throw new ParameterException(cmd, "unknown --format '" + format + "'; use json, csv or neuronpedia");
        }
        if (count < 1) {
            throw new ParameterException(cmd, "--count must be at least 1, got " + count);
        }
        source.validate(cmd);
        try (Sae sae = saeOptions.open(cmd); LanguageModel lm = source.openModel()) {
            if (latents != null) {
                SaeSupport.latents(cmd, latents, sae.dSae());
            }
            String layerName = source.resolveLayer(cmd, lm, saeOptions.layer(cmd, sae));
            TopTextTracker tracker = source.track(cmd, lm, sae, layerName);
            String what;
            switch (f) {
                case "json" -> {
                    TopTextsExport.writeJson(tracker, out);
                    what = "top texts of " + sae.dSae() + " latents";
                }
                case "csv" -> {
                    TopTextsExport.writeCsv(tracker, out);
                    what = "top texts of " + sae.dSae() + " latents";
                }
                default -> {
                    List<Integer> chosen = ContextSourceOptions.chooseLatents(cmd, latents, tracker, sae.dSae(),
                            count);
                    ConceptDictionary names = dictionary == null ? null
                            : ConceptDictionary.load(dictionary, sae.dSae());
                    NeuronpediaSource where = neuronpediaId != null
                            ? NeuronpediaSource.parse(neuronpediaId, source.describe(), tracker.textsSeen(),
                                    source.contextTokens())
                            : NeuronpediaSource.of(sae, ModelReference.displayName(source.model), layerName,
                                    source.describe(), tracker.textsSeen(), source.contextTokens());
                    new NeuronpediaExport(sae, lm, names).write(tracker, chosen, where, out);
                    what = chosen.size() + " Neuronpedia features";
                }
            }
            cmd.getOut().println("wrote " + what + " (" + tracker.textsSeen() + " texts) to " + out);
            cmd.getOut().flush();
        }
        return 0;
    }
}
