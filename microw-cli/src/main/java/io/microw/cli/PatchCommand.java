package io.microw.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.ActivationPatching;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.PathPatching;
import io.microw.frontend.PatchTarget;
import io.microw.frontend.PatchingJobSpec;
import io.microw.frontend.ModelReference;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code microw patch}: activation patching by denoising ({@link ActivationPatching}), or path patching from every
 * sender head into receiver heads ({@link PathPatching}), with the logit difference of two answer tokens as the
 * metric; prints the table of layers by positions (or heads), and writes a heatmap PNG and the values as JSON. The
 * core decides which prompt lengths a sweep takes; its refusal is a usage error.
 */
@Command(name = "patch",
        description = {"Activation patching: run the corrupted prompt with one activation from the clean prompt, for "
                + "every layer and position (or head), and measure logit(answer) - logit(wrong).",
            "Path patching (--what path): patch each sender head's clean output into the --receiver heads' "
                + "--channel input only.",
            "Prints the table with the clean and corrupted metrics; writes a heatmap PNG and a JSON file into --out."},
        footer = {"", "Examples:",
            "  microw patch --clean 'The man said that the woman' --corrupt 'The woman said that the woman' \\",
            "      --answer ' was' --wrong ' had'",
            "  microw patch --clean ... --corrupt ... --answer ' was' --wrong ' had' --what heads --json",
            "  microw patch --clean ... --corrupt ... --answer ' was' --wrong ' had' --what path --receiver 3.0,3.1 \\",
            "      --channel q"})
final class PatchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    PromptPairOptions prompts;

    @Option(names = "--what", paramLabel = "WHAT", defaultValue = PatchingJobSpec.DEFAULT_WHAT,
            converter = PatchTargetConverter.class, completionCandidates = PatchTargetConverter.Ids.class,
            description = "What to patch: one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). Each row is a "
                    + "layer, each column a position or, for the sites that patch whole heads and for path, a head.")
    PatchTarget what;

    @Option(names = "--receiver", split = ",", paramLabel = "L.H", converter = HeadConverter.class,
            description = "With --what path: the receiving heads, LAYER.HEAD separated by commas (e.g. 3.0,3.1).")
    List<PathPatching.Head> receivers;

    @Option(names = "--channel", paramLabel = "q|k|v", converter = ChannelConverter.class,
            description = "With --what path: the receivers' input the paths end at, query, key or value "
                    + "(default: q).")
    PathPatching.Channel channel;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "microw-patch-out",
            description = "Where to write the PNG and JSON files (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "32",
            description = "Patched copies per forward (default: ${DEFAULT-VALUE}); lower it for a large model.")
    int maxBatch;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    @Option(names = "--no-progress", description = "No progress line on stderr.")
    boolean noProgress;

    @Override
    public Integer call() {
        if (maxBatch < 1) {
            throw new ParameterException(spec.commandLine(), "--max-batch must be at least 1, got " + maxBatch);
        }
        PatchingJobSpec job = jobSpec();
        PrintWriter stdout = spec.commandLine().getOut();
        ObjectNode doc;
        try (LanguageModel lm = ModelReference.parse(model).open()) {
            PromptTokens tokens = new PromptTokens(spec.commandLine(), lm);
            PromptPairOptions.Ids ids = prompts.ids(tokens);
            PatchingResult result = sweep(job, lm, ids.clean(), ids.corrupt(), ids.metric());
            List<String> columns = what.byPosition()
                    ? positionLabels(tokens.decoded(ids.clean()), tokens.decoded(ids.corrupt())) : result.columnLabels();
            doc = document(job, tokens, ids, result, columns);
            Path png = out.resolve("patch-" + what.id() + ".png");
            Path file = out.resolve("patch-" + what.id() + ".json");
            createOut();
            HeatmapPlot.write(png, title(job), result.rowLabels(), columns, result.values(), result.corruptMetric());
            Json.write(file, doc);
            ObjectNode files = doc.putObject("files");
            files.put("png", png.toString());
            files.put("json", file.toString());
        }
        if (json) {
            Json.print(stdout, doc);
        } else {
            PatchTable.print(stdout, doc);
        }
        stdout.flush();
        return 0;
    }

    /**
     * The job the options describe; path patching without {@code --receiver}, or {@code --receiver} or {@code
     * --channel} without path patching, is a usage error.
     */
    PatchingJobSpec jobSpec() {
        try {
            return new PatchingJobSpec(what, receivers, channel, prompts.pair());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--what " + what.id() + ": " + e.getMessage()
                    + " (--receiver L.H[,L.H...] and --channel q|k|v)");
        }
    }

    /** Runs the sweep; the core's refusal of the prompts or heads (before any forward) is a usage error. */
    private PatchingResult sweep(PatchingJobSpec job, LanguageModel lm, long[] cleanIds, long[] corruptIds,
                                 LogitMetric metric) {
        int layers = lm.config().numLayers();
        long total = (long) layers * (what.byPosition() ? cleanIds.length : lm.config().numHeads());
        long[][] c = {cleanIds};
        long[][] d = {corruptIds};
        return ExactSweep.run(spec.commandLine(), !noProgress, maxBatch, total, what.id(),
                patching -> what.isPath()
                        ? PathPatching.senders(patching, lm, c, d, metric, job.channel(), job.receivers())
                        : what.site().run(patching, lm, c, d, metric));
    }

    private ObjectNode document(PatchingJobSpec job, PromptTokens tokens, PromptPairOptions.Ids ids, PatchingResult r,
                                List<String> columns) {
        ObjectNode doc = Json.object();
        doc.put("model", ModelReference.displayName(model));
        doc.put("what", what.id());
        if (what.isPath()) {
            ArrayNode heads = doc.putArray("receivers");
            job.receivers().forEach(h -> heads.add(h.layer() + "." + h.head()));
            doc.put("channel", job.channel().id());
        }
        prompts.describe(doc, tokens, ids);
        Json.putNumber(doc, "clean_metric", r.cleanMetric());
        Json.putNumber(doc, "corrupt_metric", r.corruptMetric());
        Json.putTable(doc, r.rowLabels(), columns, r.values());
        return doc;
    }

    /** "3 'said'" per position; "1 'man'/'woman'" where the prompts differ. */
    static List<String> positionLabels(List<String> cleanTokens, List<String> corruptTokens) {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < cleanTokens.size(); i++) {
            String c = cleanTokens.get(i);
            String d = corruptTokens.get(i);
            labels.add(i + " " + quote(c) + (c.equals(d) ? "" : "/" + quote(d)));
        }
        return labels;
    }

    private static String quote(String token) {
        return "'" + token.replace("\n", "\\n") + "'";
    }

    private String title(PatchingJobSpec job) {
        String what = this.what.isPath() ? "path patching into " + job.receivers() + " (" + job.channel() + ")"
                : this.what.id() + " patching";
        return what + ": " + prompts.metricLabel() + "  (white: the corrupted run's, red: higher, blue: lower)";
    }

    private void createOut() {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + out + ": " + e.getMessage(), e);
        }
    }
}
