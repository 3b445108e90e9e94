package io.microw.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.AttributionPatching;
import io.microw.analysis.AttributionSweeps;
import io.microw.analysis.IntegratedGradients;
import io.microw.analysis.PatchSite;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.Pearson;
import io.microw.frontend.AttributionJobSpec;
import io.microw.frontend.ModelReference;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.RunResult;
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
 * {@code microw attribute}: gradient attribution of the logit difference of two answer tokens. {@code --method atp}
 * estimates a {@code microw patch} sweep by attribution patching ({@link AttributionPatching}), and with
 * {@code --compare} runs the exact sweep too and correlates them; {@code ig} and {@code saliency} attribute the metric
 * to the clean prompt's tokens ({@link IntegratedGradients}). Prints the table with the clean and corrupted metrics,
 * and writes a heatmap PNG and the values as JSON.
 */
@Command(name = "attribute",
        description = {"Gradient attribution of logit(answer) - logit(wrong).",
            "--method atp: attribution patching, an estimate of each cell of the microw patch sweep --what from one "
                + "clean forward and one corrupted forward-backward pass; --compare runs the exact sweep too and "
                + "prints their Pearson correlation.",
            "--method ig: integrated gradients over the clean prompt's token embeddings, from --baseline in --steps "
                + "steps; --method saliency: gradient x input over them.",
            "Prints the table with the clean and corrupted metrics; writes a heatmap PNG and a JSON file into --out."},
        footer = {"", "Examples:",
            "  microw attribute --clean 'The man in the car said that' \\",
            "      --corrupt 'The woman in the car said that' --answer ' he' --wrong ' she' \\",
            "      --what heads --compare",
            "  microw attribute --clean ... --corrupt ... --answer ' he' --wrong ' she' \\",
            "      --method ig --steps 64 --baseline '<|endoftext|>'",
            "  microw attribute --clean ... --corrupt ... --answer ' he' --wrong ' she' \\",
            "      --method saliency --json"})
final class AttributeCommand implements Callable<Integer> {

    /** The most interpolation steps {@code --steps} takes. */
    static final int MAX_STEPS = 10_000;
    /** What {@code --baseline} takes for token embeddings of zero. */
    static final String ZERO = "zero";

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Mixin
    PromptPairOptions prompts;

    @Option(names = "--method", paramLabel = "METHOD", defaultValue = "atp", converter = AttributionMethod.Converter.class,
            completionCandidates = AttributionMethod.Ids.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    AttributionMethod method;

    @Option(names = "--what", paramLabel = "WHAT", defaultValue = AttributionJobSpec.DEFAULT_WHAT,
            converter = AttributionSiteConverter.class, completionCandidates = AttributionSiteConverter.Ids.class,
            description = "With --method atp: the patching sweep to estimate, one of ${COMPLETION-CANDIDATES} (default: "
                    + "${DEFAULT-VALUE}). Each row is a layer, each column a position or, for heads, a head.")
    PatchSite what;

    @Option(names = "--grad-drop", description = "With --method atp: AtP*'s GradDrop, one corrupted forward-backward "
            + "per layer, and magnitudes (to rank cells by) instead of signed estimates.")
    boolean gradDrop;

    @Option(names = "--compare", description = "With --method atp: run exact activation patching too, draw its "
            + "heatmap and print the Pearson correlation of the two tables.")
    boolean compare;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "" + IntegratedGradients.DEFAULT_STEPS,
            description = "With --method ig: interpolation points from the baseline to the prompt, 1.." + MAX_STEPS
                    + " (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--baseline", paramLabel = "zero|TOKEN", defaultValue = ZERO,
            description = "With --method ig: where the path starts: zero token embeddings, or one token (exactly one, "
                    + "e.g. '<|endoftext|>') at every position (default: ${DEFAULT-VALUE}). Models without position "
                    + "embeddings (Llama, Qwen, Gemma) need a token.")
    String baseline;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "32",
            description = "Rows per forward (default: ${DEFAULT-VALUE}): --method ig's interpolation points, "
                    + "--compare's patched copies; lower it for a large model.")
    int maxBatch;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "microw-attribute-out",
            description = "Where to write the PNG and JSON files (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    @Option(names = "--no-progress", description = "No progress line on stderr (--compare's exact sweep, integrated gradients' steps).")
    boolean noProgress;

    /** A heatmap to write: its key in the document's {@code files}, its file name without {@code .png}, its cells. */
    private record Plot(String key, String name, String title, List<String> rows, List<String> columns,
                        float[][] values, float center) {
    }

    @Override
    public Integer call() {
        checkOptions();
        PrintWriter stdout = spec.commandLine().getOut();
        ObjectNode doc = Json.object();
        doc.put("model", ModelReference.displayName(model));
        doc.put("method", method.id());
        try (LanguageModel lm = ModelReference.parse(model).open()) {
            PromptTokens tokens = new PromptTokens(spec.commandLine(), lm);
            PromptPairOptions.Ids ids = prompts.ids(tokens);
            List<Plot> plots = method == AttributionMethod.ATP ? patching(doc, lm, tokens, ids)
                    : perToken(doc, lm, tokens, ids);
            write(doc, plots);
        }
        if (json) {
            Json.print(stdout, doc);
        } else {
            AttributionTable.print(stdout, doc);
        }
        stdout.flush();
        return 0;
    }

    /** Refuses, before loading the model, out-of-range values and options of another method. */
    private void checkOptions() {
        if (maxBatch < 1) {
            throw new ParameterException(spec.commandLine(), "--max-batch must be at least 1, got " + maxBatch);
        }
        if (steps < 1 || steps > MAX_STEPS) {
            throw new ParameterException(spec.commandLine(), "--steps must be 1.." + MAX_STEPS + ", got " + steps);
        }
        requireMethod(AttributionMethod.ATP, "--what", "--grad-drop", "--compare");
        requireMethod(AttributionMethod.IG, "--steps", "--baseline");
        if (given("--max-batch") && method != AttributionMethod.IG && !compare) {
            throw new ParameterException(spec.commandLine(), "--max-batch is for --method ig and --compare, not "
                    + "--method " + method.id() + (method == AttributionMethod.ATP ? " alone" : ""));
        }
    }

    private void requireMethod(AttributionMethod owner, String... options) {
        for (String option : options) {
            if (given(option) && method != owner) {
                throw new ParameterException(spec.commandLine(), option + " is for --method " + owner.id()
                        + ", not --method " + method.id());
            }
        }
    }

    private boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** The attribution patching job that {@code --what}, {@code --compare} and the prompts describe. */
    AttributionJobSpec jobSpec() {
        return new AttributionJobSpec(what, compare, prompts.pair());
    }

    /** Attribution patching of {@code --what} (and, with {@code --compare}, exact patching): the document's values. */
    private List<Plot> patching(ObjectNode doc, LanguageModel lm, PromptTokens tokens, PromptPairOptions.Ids ids) {
        if (ids.clean().length != ids.corrupt().length) {
            throw new ParameterException(spec.commandLine(), "the clean prompt has " + ids.clean().length
                    + " tokens but the corrupted one has " + ids.corrupt().length + "; attribution patching subtracts "
                    + "one run's activations from the other's, so it needs prompts of equal length (microw patch "
                    + "--what heads aligns prompts of different lengths)");
        }
        long[][] c = {ids.clean()};
        long[][] d = {ids.corrupt()};
        LogitMetric metric = ids.metric();
        AttributionSweeps sweeps = gradDrop ? AttributionPatching.defaults().withGradDrop()
                : AttributionPatching.defaults();
        AttributionJobSpec job = jobSpec();
        PatchingResult estimate = CoreInput.checked(spec.commandLine(),
                () -> AttributionJobSpec.estimate(job.what(), sweeps, lm, c, d, metric));
        List<String> columns = what.byPosition()
                ? PatchCommand.positionLabels(tokens.decoded(ids.clean()), tokens.decoded(ids.corrupt()))
                : estimate.columnLabels();
        doc.put("what", what.id());
        doc.put("grad_drop", gradDrop);
        prompts.describe(doc, tokens, ids);
        Json.putNumber(doc, "clean_metric", estimate.cleanMetric());
        Json.putNumber(doc, "corrupt_metric", estimate.corruptMetric());
        Json.putTable(doc, estimate.rowLabels(), columns, estimate.values());
        String stem = "attribute-atp-" + what.id();
        List<Plot> plots = new ArrayList<>();
        plots.add(new Plot("png", stem, method.title() + (gradDrop ? " with GradDrop (magnitudes)" : "")
                + " of " + what.id() + ": " + prompts.metricLabel() + "  (white: the corrupted run's, red: higher, blue: "
                + "lower)", estimate.rowLabels(), columns, estimate.values(), estimate.corruptMetric()));
        if (compare) {
            PatchingResult exact = exact(lm, c, d, metric, ids.clean().length);
            ObjectNode e = doc.putObject("exact");
            Json.putNumber(e, "clean_metric", exact.cleanMetric());
            Json.putNumber(e, "corrupt_metric", exact.corruptMetric());
            Json.putMatrix(e, "values", exact.values());
            e.put("correlated", gradDrop ? "GradDrop magnitudes with |exact - corrupt_metric|"
                    : "estimated with exact values");
            Json.putNumber(e, "pearson", Pearson.of(effects(estimate, false), effects(exact, gradDrop)));
            plots.add(new Plot("png_exact", stem + "-exact", "exact " + what.id() + " patching: "
                    + prompts.metricLabel() + "  (white: the corrupted run's, red: higher, blue: lower)",
                    exact.rowLabels(), columns, exact.values(), exact.corruptMetric()));
        }
        return plots;
    }

    /** The exact sweep of the estimated site, its cells on the progress line. */
    private PatchingResult exact(LanguageModel lm, long[][] clean, long[][] corrupt, LogitMetric metric, int seq) {
        long cells = (long) lm.config().numLayers() * (what.byPosition() ? seq : lm.config().numHeads());
        return ExactSweep.run(spec.commandLine(), !noProgress, maxBatch, cells, "exact " + what.id(),
                patching -> what.run(patching, lm, clean, corrupt, metric));
    }

    /** Each cell's change from the corrupted metric, or its magnitude. */
    private static float[][] effects(PatchingResult r, boolean magnitude) {
        float[][] out = new float[r.values().length][];
        for (int row = 0; row < out.length; row++) {
            out[row] = new float[r.values()[row].length];
            for (int col = 0; col < out[row].length; col++) {
                float effect = r.values()[row][col] - r.corruptMetric();
                out[row][col] = magnitude ? Math.abs(effect) : effect;
            }
        }
        return out;
    }

    /** Integrated gradients or saliency over the clean prompt's tokens: the document's values, one row. */
    private List<Plot> perToken(ObjectNode doc, LanguageModel lm, PromptTokens tokens, PromptPairOptions.Ids ids) {
        LogitMetric metric = ids.metric();
        float[] values;
        String title = method.title();
        if (method == AttributionMethod.IG) {
            ProgressLine line = new ProgressLine(spec.commandLine().getErr(), !noProgress);
            IntegratedGradients ig = integratedGradients(doc, tokens)
                    .withProgress(done -> line.update(done, steps, "steps", "integrated gradients"));
            prompts.describe(doc, tokens, ids);
            IntegratedGradients.Result r;
            try {
                r = CoreInput.checked(spec.commandLine(), () -> ig.attribute(lm, ids.clean(), metric));
            } finally {
                line.finish();
            }
            values = r.attributions();
            Json.putNumber(doc, "clean_metric", r.metricAtInput());
            Json.putNumber(doc, "corrupt_metric", metricOf(lm, ids.corrupt(), metric));
            Json.putNumber(doc, "baseline_metric", r.metricAtBaseline());
            Json.putNumber(doc, "sum", r.sum());
            Json.putNumber(doc, "convergence_delta", r.convergenceDelta());
            title += " (" + steps + " steps from " + (ZERO.equals(baseline) ? ZERO : CliText.quoted(baseline)) + ")";
        } else {
            prompts.describe(doc, tokens, ids);
            IntegratedGradients.Saliency s = CoreInput.checked(spec.commandLine(),
                    () -> IntegratedGradients.saliency(lm, ids.clean(), metric));
            values = s.values();
            Json.putNumber(doc, "clean_metric", s.metric());
            Json.putNumber(doc, "corrupt_metric", metricOf(lm, ids.corrupt(), metric));
        }
        List<String> clean = tokens.decoded(ids.clean());
        List<String> columns = PatchCommand.positionLabels(clean, clean);
        List<String> rows = List.of(method.id());
        float[][] table = {values};
        Json.putTable(doc, rows, columns, table);
        return List.of(new Plot("png", "attribute-" + method.id(), title + " per clean token: "
                + prompts.metricLabel() + "  (red: raises it, blue: lowers it)", rows, columns, table, 0f));
    }

    /** The settings {@code --steps}, {@code --baseline} and {@code --max-batch} give, recorded in the document. */
    private IntegratedGradients integratedGradients(ObjectNode doc, PromptTokens tokens) {
        IntegratedGradients ig = IntegratedGradients.defaults().withSteps(steps).withRowsPerPass(maxBatch);
        doc.put("steps", steps);
        doc.put("baseline", baseline);
        if (ZERO.equals(baseline)) {
            return ig;
        }
        long token = tokens.single("--baseline", baseline);
        doc.put("baseline_id", token);
        return ig.withBaselineToken(token);
    }

    /** The metric on one prompt, by a plain forward. */
    private static float metricOf(LanguageModel lm, long[] ids, LogitMetric metric) {
        try (RunResult run = lm.inference().run(new long[][] {ids}, null, Interventions.none())) {
            return metric.apply(run.logits(), null);
        }
    }

    /** Writes each plot's PNG and the document's JSON into {@code --out}, and names them in the document. */
    private void write(ObjectNode doc, List<Plot> plots) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + out + ": " + e.getMessage(), e);
        }
        ObjectNode files = Json.object();
        for (Plot p : plots) {
            Path png = out.resolve(p.name() + ".png");
            HeatmapPlot.write(png, p.title(), p.rows(), p.columns(), p.values(), p.center());
            files.put(p.key(), png.toString());
        }
        Path file = out.resolve(plots.get(0).name() + ".json");
        Json.write(file, doc);
        files.put("json", file.toString());
        doc.set("files", files);
    }
}
