package io.microw.cli;

import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.LabelledDiscovery.LatentScore;
import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownDiscovery;
import io.microw.frontend.ModelReference;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code microw concepts discover}: which latents pick out Brown POS tags and genres; names them in a dictionary. */
@Command(name = "discover",
        description = {"Labelled discovery on the Brown corpus: for every part-of-speech tag and genre, the latent "
            + "that predicts it best (precision, recall, F1). Latents with F1 >= --min-f1 are named in a concept "
            + "dictionary written to --out."},
        footer = {"", "Example:",
            "  microw concepts discover --sae sae-h2/sae --layer transformer.h.2 --limit 2000 --out concepts.json"})
final class ConceptsDiscoverCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    SaeLayerOptions saeOptions;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "brown-gpt2",
            description = "The model (its tokenizer must be brown-gpt2's kind; default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--brown", defaultValue = "validation", paramLabel = "train|validation",
            description = "Brown split to run on (default: ${DEFAULT-VALUE}).")
    String brown;

    @Option(names = "--limit", defaultValue = "0", description = "At most this many sentences (default 0: all).")
    int limit;

    @Option(names = "--min-f1", defaultValue = "0.5", description = "F1 a latent needs to be named (default: ${DEFAULT-VALUE}).")
    double minF1;

    @Option(names = "--top", defaultValue = "10", description = "Most frequent tags shown (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--batch-size", defaultValue = "32", description = "Sentences per forward (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--out", paramLabel = "FILE", description = "Concept dictionary to write (.json or .csv).")
    Path out;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        if (!(minF1 >= 0 && minF1 <= 1)) {
            throw new ParameterException(cmd, "--min-f1 must be in 0..1, got " + minF1);
        }
        if (limit < 0 || top < 0 || batchSize < 1) {
            throw new ParameterException(cmd, "--limit and --top must be >= 0 and --batch-size >= 1");
        }
        BrownCorpus.Split split = SaeSupport.split(cmd, brown);
        long t0 = System.nanoTime();
        try (Sae sae = saeOptions.open(cmd);
             LanguageModel lm = ModelReference.parse(model).open()) {
            String layerName = lm.layers().resolve(saeOptions.layer(cmd, sae));
            cmd.getErr().println("discovering on the Brown " + split.name().toLowerCase(Locale.ROOT) + " split"
                    + (limit > 0 ? " (first " + limit + " sentences)" : "") + " ...");
            cmd.getErr().flush();
            BrownDiscovery.Result result = new BrownDiscovery(lm, sae, layerName).batchSize(batchSize)
                    .run(BrownCorpus.load(), split, limit);
            BrownDiscovery.Report report = result.report(minF1, top);
            int named = 0;
            if (out != null) {
                ConceptDictionary dict = ConceptDictionary.forLatents(sae.dSae());
                named = result.discovery().proposeNames(dict, minF1).size();
                dict.save(out);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            PrintWriter o = cmd.getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("layer", layerName);
                m.put("split", split.name().toLowerCase(Locale.ROOT));
                m.put("min_f1", minF1);
                BrownDiscovery.Stats s = report.stats();
                Map<String, Object> stats = new LinkedHashMap<>();
                stats.put("sentences", s.sentences());
                stats.put("tokens", s.tokens());
                stats.put("words", s.words());
                stats.put("sentences_skipped", s.sentencesSkipped());
                stats.put("tokens_outside_words", s.tokensOutsideWords());
                m.put("stats", stats);
                m.put("tag_count", report.tagCount());
                m.put("tags_at_least_min_f1", scores(report.tagsAtLeastMinF1()));
                m.put("top_tags", scores(report.topTags()));
                m.put("genres", scores(report.genres()));
                m.put("dictionary", out == null ? null : out.toString());
                m.put("named", named);
                m.put("seconds", seconds);
                Json.print(o, m);
            } else {
                o.print(report.toText());
                if (out != null) {
                    o.printf(Locale.ROOT, "named %d latents in %s%n", named, out);
                }
                o.printf(Locale.ROOT, "(%.1f s)%n", seconds);
                o.flush();
            }
        }
        return 0;
    }

    private static List<Object> scores(List<LatentScore> rows) {
        return rows.stream().map(s -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", s.label());
            m.put("latent", s.latent());
            m.put("precision", s.precision());
            m.put("recall", s.recall());
            m.put("f1", s.f1());
            m.put("labelled", s.labelled());
            m.put("fired", s.fired());
            return (Object) m;
        }).toList();
    }
}
