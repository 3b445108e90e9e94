package io.microw.cli;

import io.microw.data.TextDataset;
import io.microw.eval.SaeEvaluation;
import io.microw.eval.SaeEvaluator;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code microw sae eval}: reconstruction, sparsity and downstream-loss metrics of an SAE on texts. */
@Command(name = "eval",
        description = {"Evaluate an SAE spliced into a model on texts: explained variance, MSE, L0, dead and dense "
            + "latents, CE loss and KL scores (SAELens' metric names)."},
        footer = {"", "Example:",
            "  microw sae eval --sae sae-h2/sae --layer transformer.h.2 --brown validation --limit 500 --json"})
final class SaeEvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    SaeLayerOptions saeOptions;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "brown-gpt2",
            description = "brown-gpt2, a model directory or a Hub id (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--brown", paramLabel = "train|validation", description = "Texts: Brown sentences of this split.")
    String brown;

    @Option(names = "--texts-file", paramLabel = "FILE", description = "Texts: .txt (one per line), .jsonl, .csv...")
    Path textsFile;

    @Option(names = "--limit", defaultValue = "0", description = "At most this many texts (default 0: all).")
    int limit;

    @Option(names = "--batch-size", defaultValue = "16", description = "Texts per forward (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-progress", description = "No progress line.")
    boolean noProgress;

    @Option(names = "--json", description = "Print the metrics as JSON.")
    boolean json;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        if (batchSize < 1) {
            throw new ParameterException(cmd, "--batch-size must be at least 1, got " + batchSize);
        }
        TextDataset texts = SaeSupport.texts(cmd, brown, textsFile, limit, "--brown SPLIT or --texts-file FILE");
        PrintWriter err = cmd.getErr();
        EvalProgressLine progress = new EvalProgressLine(new ProgressLine(err, !noProgress), "texts");
        try (Sae sae = saeOptions.open(cmd);
             LanguageModel lm = ModelReference.parse(model).open()) {
            String layerName = lm.layers().resolve(saeOptions.layer(cmd, sae));
            SaeEvaluation eval = new SaeEvaluator(lm).batchSize(batchSize)
                    .progress(progress)
                    .evaluate(sae, layerName, texts);
            progress.finish();
            Map<String, Object> m = eval.toMap();
            PrintWriter out = cmd.getOut();
            if (json) {
                Json.print(out, m);
            } else {
                out.printf(Locale.ROOT, "%s at %s: %,d texts, %,d tokens%n", sae, layerName, eval.texts(),
                        eval.tokens());
                for (Map.Entry<String, Object> e : m.entrySet()) {
                    if (e.getValue() instanceof Number n) {
                        out.printf(Locale.ROOT, "  %-32s %s%n", e.getKey(), format(n));
                    }
                }
                out.flush();
            }
        }
        return 0;
    }

    private static String format(Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "n/a";
        }
        return String.format(Locale.ROOT, "%,d", n.longValue());
    }
}
