package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.demo.BrownProbeData;
import io.microw.demo.BrownProbeLabel;
import io.microw.eval.LinearProbe;
import io.microw.eval.ProbeOptions;
import io.microw.eval.ProbeReport;
import io.microw.frontend.ModelReference;
import io.microw.lm.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code microw probe}: a linear probe ({@link LinearProbe}) per selected layer on Brown sentences
 * ({@link BrownProbeData}), for a part-of-speech or genre label ({@link BrownProbeLabel}); prints each layer's
 * held-out accuracy and macro F1 and the best layer, and writes accuracy per layer as a PNG and everything as JSON.
 */
@Command(name = "probe",
        description = {"Train a linear probe per layer on Brown sentences: which layer knows a part of speech or the "
                + "genre best.",
            "Prints accuracy and macro F1 on held-out examples per layer; writes probe.png and probe.json into "
                    + "--out-dir."},
        footer = {"", "Labels:",
            "  pos:TAG          words tagged TAG against all other words (e.g. pos:nn)",
            "  pos:TAG,TAG,...  one class per tag, other words left out (e.g. pos:nn,vb)",
            "  genre            each sentence's genre (15 classes), from activations averaged over the sentence",
            "", "Examples:", "  microw probe --label pos:nn,vb",
            "  microw probe --label genre --layer 'blocks.*.hook_resid_post' --sentences 1500 --l2 1e-2 --json"})
final class ProbeCommand implements Callable<Integer> {

    /** The most sentences one run reads: every word's activation at every layer is kept in memory. */
    static final int MAX_SENTENCES = 10_000;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--label", required = true, paramLabel = "SPEC",
            description = "What to predict: pos:TAG, pos:TAG,TAG,... or genre (Brown tags, e.g. nn, vb, jj).")
    String label;

    @Option(names = "--layer", split = ",", paramLabel = "PATTERN", defaultValue = "blocks.*.hook_resid_pre",
            description = "Layers to probe: names, aliases or glob patterns, comma-separated or repeated "
                    + "(default: ${DEFAULT-VALUE}).")
    List<String> layers;

    @Option(names = "--sentences", paramLabel = "N", defaultValue = "400",
            description = "Brown sentences to read, at most 10000 (default: ${DEFAULT-VALUE}).")
    int sentences;

    @Option(names = "--epochs", paramLabel = "E", defaultValue = "20",
            description = "Training passes per probe (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--l2", paramLabel = "LAMBDA", defaultValue = "1e-4",
            description = "L2 penalty on the weights of standardised activations; raise it (e.g. 1e-2) when train "
                    + "accuracy runs far above held-out (default: ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Option(names = "--out-dir", paramLabel = "DIR", defaultValue = "microw-probe-out",
            description = "Where to write probe.png and probe.json (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    /**
     * The probe settings the command uses: {@link ProbeOptions#defaults()} with {@code epochs} passes and penalty
     * {@code l2}.
     *
     * @param epochs passes over the training examples
     * @param l2     the L2 penalty
     * @return the options
     */
    static ProbeOptions options(int epochs, double l2) {
        return ProbeOptions.defaults().withEpochs(epochs).withL2(l2);
    }

    @Override
    public Integer call() {
        BrownProbeLabel parsed;
        try {
            parsed = BrownProbeLabel.parse(label);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--label: " + e.getMessage(), e);
        }
        if (sentences < 1 || sentences > MAX_SENTENCES) {
            throw new ParameterException(spec.commandLine(), "--sentences must be 1.." + MAX_SENTENCES + ", got "
                    + sentences);
        }
        if (epochs < 1) {
            throw new ParameterException(spec.commandLine(), "--epochs must be at least 1, got " + epochs);
        }
        if (!(l2 >= 0) || !Double.isFinite(l2)) {
            throw new ParameterException(spec.commandLine(), "--l2 must be 0 or more, got " + l2);
        }
        ObjectNode doc;
        try (LanguageModel lm = ModelReference.parse(model).open()) {
            BrownProbeData data;
            try {
                data = BrownProbeData.collect(lm, parsed, sentences, layers);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            Map<String, LinearProbe> probes;
            try {
                probes = data.probes(options(epochs, l2));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "cannot train on " + data.labels().length
                        + " examples from " + data.sentences() + " sentences: " + e.getMessage(), e);
            }
            doc = document(data, probes);
        }
        writeFiles(doc);
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            Json.print(stdout, doc);
        } else {
            print(stdout, doc);
        }
        stdout.flush();
        return 0;
    }

    private ObjectNode document(BrownProbeData data, Map<String, LinearProbe> probes) {
        ObjectNode doc = Json.object();
        doc.put("model", ModelReference.displayName(model));
        doc.put("label", data.label().spec());
        data.label().classes().forEach(doc.putArray("classes")::add);
        doc.put("feature", data.label().genre() ? "mean over the sentence's tokens" : "the word's last token");
        doc.put("sentences", data.sentences());
        int[] y = data.labels();
        doc.put("examples", y.length);
        int[] counts = new int[data.label().classes().size()];
        Arrays.stream(y).forEach(c -> counts[c]++);
        ArrayNode countsNode = doc.putArray("class_counts");
        Arrays.stream(counts).forEach(countsNode::add);
        Json.putNumber(doc, "majority_class_share", Arrays.stream(counts).max().orElse(0) / (double) y.length);
        doc.put("epochs", epochs);
        doc.put("l2", l2);
        ArrayNode rows = doc.putArray("layers");
        String best = null;
        double bestAccuracy = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, LinearProbe> e : probes.entrySet()) {
            ProbeReport r = e.getValue().report();
            ObjectNode row = rows.addObject();
            row.put("layer", e.getKey());
            row.put("train_rows", r.trainRows());
            row.put("validation_rows", r.validationRows());
            Json.putNumber(row, "train_accuracy", r.trainAccuracy());
            Json.putNumber(row, "validation_accuracy", r.validationAccuracy());
            Json.putNumber(row, "validation_macro_f1", r.validationMacroF1());
            if (r.validationAccuracy() > bestAccuracy) {
                bestAccuracy = r.validationAccuracy();
                best = e.getKey();
            }
        }
        ObjectNode bestNode = doc.putObject("best");
        bestNode.put("layer", best);
        Json.putNumber(bestNode, "validation_accuracy", bestAccuracy);
        return doc;
    }

    private void writeFiles(ObjectNode doc) {
        JsonNode rows = doc.path("layers");
        double[] x = new double[rows.size()];
        double[] accuracy = new double[rows.size()];
        double[] f1 = new double[rows.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
            accuracy[i] = rows.get(i).path("validation_accuracy").asDouble(Double.NaN);
            f1[i] = rows.get(i).path("validation_macro_f1").asDouble(Double.NaN);
        }
        String label = doc.path("label").asText();
        Path png = outDir.resolve("probe.png");
        Path file = outDir.resolve("probe.json");
        Json.write(file, doc);
        DemoPlots.linePanels(png, List.of(
                new DemoPlots.Series("held-out accuracy, " + label, x, accuracy, DemoPlots.BLUE),
                new DemoPlots.Series("held-out macro F1, " + label, x, f1, DemoPlots.ORANGE)),
                2, 460, 320, "layer (in the order of the table)");
        ObjectNode files = doc.putObject("files");
        files.put("png", png.toString());
        files.put("json", file.toString());
    }

    private static void print(PrintWriter out, JsonNode doc) {
        out.println(doc.path("model").asText() + ": linear probes for " + doc.path("label").asText() + " ("
                + doc.path("classes").size() + " classes, " + doc.path("examples").asInt() + " examples from "
                + doc.path("sentences").asInt() + " sentences; feature: " + doc.path("feature").asText()
                + "; majority class " + String.format(Locale.ROOT, "%.3f",
                doc.path("majority_class_share").asDouble()) + ")");
        out.println(String.format(Locale.ROOT, "%-4s %-36s %10s %10s %10s", "#", "layer", "train acc", "held-out",
                "macro F1"));
        int i = 0;
        for (JsonNode row : doc.path("layers")) {
            out.println(String.format(Locale.ROOT, "%-4d %-36s %10.3f %10.3f %10.3f", i++, row.path("layer").asText(),
                    row.path("train_accuracy").asDouble(), row.path("validation_accuracy").asDouble(),
                    row.path("validation_macro_f1").asDouble()));
        }
        out.println("best: " + doc.path("best").path("layer").asText() + String.format(Locale.ROOT,
                " (held-out accuracy %.3f)", doc.path("best").path("validation_accuracy").asDouble()));
        out.println("wrote " + doc.path("files").path("png").asText());
        out.println("wrote " + doc.path("files").path("json").asText());
    }
}
