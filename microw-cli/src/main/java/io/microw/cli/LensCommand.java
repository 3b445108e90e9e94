package io.microw.cli;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.LogitLens;
import io.microw.frontend.ModelReference;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw lens}: the logit lens ({@link LogitLens}) at the prompt's last position: each layer's top tokens
 * with their probabilities, and the logit difference of {@code --answer} and {@code --wrong} when given; writes a
 * line chart PNG (the probability of the model's final top token per layer, and the metric) and the values as JSON.
 */
@Command(name = "lens",
        description = {"Logit lens: read each layer's residual stream at the last position through the final norm and "
                + "the unembedding.",
            "Prints each layer's top tokens (and logit(answer) - logit(wrong) with --answer/--wrong); writes a PNG and "
                    + "a JSON file into --out."},
        footer = {"", "Examples:", "  microw lens --prompt 'The man said that the woman'",
            "  microw lens --prompt 'The man said that the woman' --answer ' was' --wrong ' had' --k 3 --json"})
final class LensCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt.")
    String prompt;

    @Option(names = "--k", paramLabel = "K", defaultValue = "5",
            description = "Top tokens per layer, at most the vocabulary size (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--answer", paramLabel = "TOKEN", description = "With --wrong: a token (exactly one) whose logit "
            + "difference to --wrong is measured per layer.")
    String answer;

    @Option(names = "--wrong", paramLabel = "TOKEN", description = "The token compared with --answer.")
    String wrong;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "microw-lens-out",
            description = "Where to write the PNG and JSON files (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    @Override
    public Integer call() {
        if ((answer == null) != (wrong == null)) {
            throw new ParameterException(spec.commandLine(), "--answer and --wrong go together; got only "
                    + (answer == null ? "--wrong" : "--answer"));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        ObjectNode doc = Json.object();
        try (LanguageModel lm = ModelReference.parse(model).open()) {
            int vocab = lm.config().vocabSize();
            if (k < 1 || k > vocab) {
                throw new ParameterException(spec.commandLine(), "--k must be from 1 to " + vocab
                        + " (the vocabulary size), got " + k);
            }
            PromptTokens tokens = new PromptTokens(spec.commandLine(), lm);
            long[] ids = tokens.prompt("--prompt", prompt);
            LogitMetric diff = answer == null ? null
                    : LogitMetric.logitDiff(tokens.single("--answer", answer), tokens.single("--wrong", wrong));
            List<float[]> logProbs = new ArrayList<>();
            LogitMetric metric = (logits, mask) -> {
                try (NDArray last = LogitMetric.lastRealToken(logits, mask, 0); NDArray lp = last.logSoftmax(0)) {
                    logProbs.add(lp.toFloatArray());
                }
                return diff == null ? 0f : diff.apply(logits, mask);
            };
            LogitLens.Result lens = LogitLens.of(lm, new long[][] {ids}, k, metric);
            if (logProbs.size() != lens.labels().size()) {
                throw new IllegalStateException("the logit lens measured " + logProbs.size() + " layers, expected "
                        + lens.labels().size());
            }
            fill(doc, tokens, ids, lens, logProbs);
        }
        writeFiles(doc);
        if (json) {
            Json.print(stdout, doc);
        } else {
            print(stdout, doc);
        }
        stdout.flush();
        return 0;
    }

    private void fill(ObjectNode doc, PromptTokens tokens, long[] ids, LogitLens.Result lens, List<float[]> logProbs) {
        doc.put("model", ModelReference.displayName(model));
        doc.put("prompt", prompt);
        tokens.decoded(ids).forEach(doc.putArray("tokens")::add);
        doc.put("k", k);
        if (answer != null) {
            doc.put("metric", "logit(" + CliText.quoted(answer) + ") - logit(" + CliText.quoted(wrong) + ")");
        }
        int layers = lens.labels().size();
        int finalTop = lens.topTokens()[layers - 1][0][0];
        ObjectNode fin = doc.putObject("final_top");
        fin.put("id", finalTop);
        fin.put("token", tokens.token(finalTop));
        ArrayNode rows = doc.putArray("layers");
        for (int i = 0; i < layers; i++) {
            ObjectNode row = rows.addObject();
            row.put("layer", lens.labels().get(i));
            ArrayNode top = row.putArray("top");
            for (int id : lens.topTokens()[i][0]) {
                ObjectNode t = top.addObject();
                t.put("id", id);
                t.put("token", tokens.token(id));
                Json.putNumber(t, "probability", Math.exp(logProbs.get(i)[id]));
            }
            Json.putNumber(row, "final_top_probability", Math.exp(logProbs.get(i)[finalTop]));
            if (answer != null) {
                Json.putNumber(row, "metric", lens.metric()[i]);
            }
        }
    }

    private void writeFiles(ObjectNode doc) {
        JsonNode rows = doc.path("layers");
        double[] x = new double[rows.size()];
        double[] p = new double[rows.size()];
        double[] m = new double[rows.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
            p[i] = rows.get(i).path("final_top_probability").asDouble(Double.NaN);
            m[i] = rows.get(i).path("metric").asDouble(Double.NaN);
        }
        List<DemoPlots.Series> panels = new ArrayList<>();
        panels.add(new DemoPlots.Series("probability of " + CliText.quoted(doc.path("final_top").path("token").asText()),
                x, p, DemoPlots.BLUE));
        if (answer != null) {
            panels.add(new DemoPlots.Series(doc.path("metric").asText(), x, m, DemoPlots.ORANGE));
        }
        Path png = out.resolve("lens.png");
        Path file = out.resolve("lens.json");
        Json.write(file, doc);
        DemoPlots.linePanels(png, panels, panels.size(), 460, 320, "layer (0..n-1: block inputs; n: last output)");
        ObjectNode files = doc.putObject("files");
        files.put("png", png.toString());
        files.put("json", file.toString());
    }

    private static void print(PrintWriter out, JsonNode doc) {
        out.println(doc.path("model").asText() + ": logit lens of " + CliText.quoted(doc.path("prompt").asText()) + " ("
                + doc.path("tokens").size() + " tokens), top " + doc.path("k").asInt() + " next tokens per layer"
                + (doc.has("metric") ? ", metric " + doc.path("metric").asText() : ""));
        for (JsonNode row : doc.path("layers")) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-26s", row.path("layer").asText()));
            if (doc.has("metric")) {
                line.append(String.format(Locale.ROOT, "%10s  ", PatchTable.number(row.get("metric"))));
            }
            for (JsonNode t : row.path("top")) {
                line.append(String.format(Locale.ROOT, "  %s %.1f%%", CliText.quoted(t.path("token").asText()),
                        100 * t.path("probability").asDouble()));
            }
            out.println(line);
        }
        out.println("wrote " + doc.path("files").path("png").asText());
        out.println("wrote " + doc.path("files").path("json").asText());
    }
}
