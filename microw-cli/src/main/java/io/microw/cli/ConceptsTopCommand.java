package io.microw.cli;

import io.microw.concepts.LatentContext;
import io.microw.concepts.LatentStatistics;
import io.microw.concepts.TopTextTracker;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code microw concepts top}: the contexts that make chosen latents fire most. */
@Command(name = "top",
        description = {"Show the contexts where latents fire most: from a saved activation run (encoded offline) or "
            + "by streaming texts through the model with the SAE attached. Without --latents, the most frequent ones."},
        footer = {"", "Examples:",
            "  microw concepts top --sae sae-h2/sae --layer transformer.h.2 --brown validation --limit 500 --latents 3,17",
            "  microw concepts top --sae sae-h2/sae --layer transformer.h.2 --store st --run h2-val --json"})
final class ConceptsTopCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    SaeLayerOptions saeOptions;

    @Mixin
    ContextSourceOptions source;

    @Option(names = "--latents", split = ",", paramLabel = "I[,I...]",
            description = "Latents to show (default: the --count most frequent).")
    List<Integer> latents;

    @Option(names = "--count", defaultValue = "10", paramLabel = "N",
            description = "Without --latents: how many latents to show (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        source.validate(cmd);
        if (count < 1) {
            throw new CommandLine.ParameterException(cmd, "--count must be at least 1, got " + count);
        }
        try (Sae sae = saeOptions.open(cmd); LanguageModel lm = source.openModel()) {
            if (latents != null) {
                SaeSupport.latents(cmd, latents, sae.dSae());
            }
            String layerName = source.resolveLayer(cmd, lm, saeOptions.layer(cmd, sae));
            TopTextTracker tracker = source.track(cmd, lm, sae, layerName);
            List<Integer> chosen = ContextSourceOptions.chooseLatents(cmd, latents, tracker, sae.dSae(), count);
            Map<String, Object> result = toMap(tracker, chosen, layerName);
            PrintWriter out = cmd.getOut();
            if (json) {
                Json.print(out, result);
            } else {
                print(out, tracker, chosen, layerName);
            }
        }
        return 0;
    }

    static Map<String, Object> toMap(TopTextTracker tracker, List<Integer> chosen, String layer) {
        LatentStatistics stats = tracker.statistics();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layer", layer);
        m.put("texts", tracker.textsSeen());
        m.put("tokens", stats.tokens());
        List<Object> list = new ArrayList<>();
        for (int latent : chosen) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("latent", latent);
            l.put("frequency", stats.frequency(latent));
            l.put("max_activation", (double) stats.maxActivation(latent));
            List<Object> contexts = new ArrayList<>();
            for (LatentContext c : tracker.topTexts(latent)) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("activation", (double) c.activation());
                o.put("token", c.token());
                o.put("position", c.position());
                o.put("text_id", c.textId());
                o.put("text", c.text());
                o.put("window", c.window());
                o.put("window_start", c.windowStart());
                contexts.add(o);
            }
            l.put("contexts", contexts);
            list.add(l);
        }
        m.put("latents", list);
        return m;
    }

    private static void print(PrintWriter out, TopTextTracker tracker, List<Integer> chosen, String layer) {
        LatentStatistics stats = tracker.statistics();
        out.printf(Locale.ROOT, "top contexts at %s over %,d texts (%,d tokens)%n", layer, tracker.textsSeen(),
                stats.tokens());
        if (chosen.isEmpty()) {
            out.println("no latent fired");
        }
        for (int latent : chosen) {
            out.printf(Locale.ROOT, "latent %d: fires on %.3f%% of tokens, max %.3f%n", latent,
                    100 * stats.frequency(latent), stats.maxActivation(latent));
            List<LatentContext> contexts = tracker.topTexts(latent);
            if (contexts.isEmpty()) {
                out.println("  (never fired)");
            }
            for (LatentContext c : contexts) {
                out.printf(Locale.ROOT, "  %8.3f  %s%n", c.activation(), highlight(c));
            }
        }
        out.flush();
    }

    /** The context window with the firing token in brackets: {@code the jury [said] it}. */
    static String highlight(LatentContext c) {
        StringBuilder sb = new StringBuilder();
        int at = c.position() - c.windowStart();
        for (int i = 0; i < c.window().size(); i++) {
            String t = c.window().get(i).replace("\n", "\\n");
            sb.append(i == at ? "[" + t + "]" : t);
        }
        return sb.toString().strip();
    }
}
