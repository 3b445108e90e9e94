package io.microw.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.frontend.ModelReference;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.NextToken;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code microw model run}: one forward per prompt, with detectors from {@code --capture} (shape and statistics of
 * a layer's output) and controllers from {@code --scale} (multiply a layer's output); prints the five most likely
 * next tokens of each prompt.
 */
@Command(name = "run",
        description = {"Run a forward over a prompt (or a file of prompts) with hooks from flags.",
            "Prints each captured layer's shape and statistics and the top next tokens with their probabilities."},
        footer = {"", "Examples:", "  microw model run --prompt 'The jury said' --capture layer_1",
            "  microw model run --prompt 'The jury said' --scale transformer.h.2.mlp=3 --capture blocks.3 --json",
            "  microw model run --file prompts.txt --top 10"})
final class ModelRunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource prompts;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Option(names = "--capture", paramLabel = "LAYER",
            description = "Record this layer's output (name, alias or index; repeatable).")
    List<String> capture = new ArrayList<>();

    @Option(names = "--scale", paramLabel = "LAYER=FACTOR", converter = LayerScale.Converter.class,
            description = "Multiply this layer's output by FACTOR (repeatable).")
    List<LayerScale> scales = new ArrayList<>();

    @Option(names = "--top", paramLabel = "N", defaultValue = "5",
            description = "How many next tokens to show, at most the vocabulary size (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    @Option(names = "--no-progress", description = "No progress bar (shown for more than one prompt).")
    boolean noProgress;

    @Override
    public Integer call() {
        List<String> texts = prompts.prompts(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode doc = Json.object();
        ArrayNode results = doc.putArray("prompts");
        ProgressLine progress = new ProgressLine(err, !noProgress && texts.size() > 1);
        int done = 0;
        try (LanguageModel lm = ModelReference.parse(model).open();
             HookFlags hooks = HookFlags.register(spec.commandLine(), lm, capture, scales);
             Interrupts interrupts = Interrupts.install(err, "prompt")) {
            int vocab = lm.config().vocabSize();
            if (top < 1 || top > vocab) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--top must be from 1 to "
                        + vocab + " (the vocabulary size), got " + top);
            }
            requireTokenizer(lm);
            doc.put("model", ModelReference.displayName(model));
            ArrayNode scaled = doc.putArray("scaled");
            hooks.scaled().forEach(scaled::add);
            if (!json) {
                out.println(ModelReference.displayName(model) + ": " + Models.describe(lm.config()));
                if (!hooks.scaled().isEmpty()) {
                    out.println("scaled: " + String.join(", ", hooks.scaled()));
                }
            }
            long tokens = 0;
            for (String text : texts) {
                if (interrupts.stopRequested()) {
                    progress.finish();
                    err.println(interrupts.stoppedMessage(done, texts.size()));
                    break;
                }
                ObjectNode r = results.addObject();
                tokens += runOne(lm, hooks, text, r);
                if (!json) {
                    print(out, r);
                }
                done++;
                progress.update(done, texts.size(), "prompts", String.format(Locale.ROOT, "%,d tokens", tokens));
            }
        } finally {
            progress.finish();
        }
        doc.put("complete", done == texts.size());
        if (json) {
            Json.print(out, doc);
        }
        out.flush();
        return done == texts.size() ? 0 : Interrupts.EXIT_INTERRUPTED;
    }

    /** Runs one prompt; fills {@code r}; returns its number of tokens. */
    private int runOne(LanguageModel lm, HookFlags hooks, String text, ObjectNode r) {
        r.put("prompt", text);
        try (InferenceResult result = lm.inference().executeInference(List.of(text))) {
            int seq = result.encodings().inputIds()[0].length;
            r.put("tokens", seq);
            ArrayNode caps = r.putArray("captures");
            for (Map.Entry<String, LayerActivationDetector> e : hooks.captures().entrySet()) {
                ObjectNode c = caps.addObject();
                c.put("layer", e.getKey());
                NDArray captured = e.getValue().getCaptured();
                if (captured == null) {
                    c.putNull("shape");
                    continue;
                }
                ArrayNode shape = c.putArray("shape");
                Arrays.stream(captured.getShape().getShape()).forEach(shape::add);
                float[] values = captured.getDataType() == DataType.FLOAT32 ? captured.toFloatArray()
                        : captured.toType(DataType.FLOAT32, false).toFloatArray();
                TensorStats stats = TensorStats.of(values);
                double squares = 0;
                for (float v : values) {
                    squares += (double) v * v;
                }
                Json.putNumber(c, "mean", stats.mean());
                Json.putNumber(c, "std", stats.std());
                Json.putNumber(c, "min", stats.min());
                Json.putNumber(c, "max", stats.max());
                Json.putNumber(c, "norm", Math.sqrt(squares));
            }
            float[] logits = result.logits().get(0).get(seq - 1).toType(DataType.FLOAT32, false).toFloatArray();
            ArrayNode next = r.putArray("next_tokens");
            for (NextToken candidate : NextToken.top(logits, top)) {
                ObjectNode t = next.addObject();
                t.put("id", candidate.id());
                t.put("token", lm.tokenizer().decode(new long[] {candidate.id()}, false));
                t.put("probability", candidate.probability());
            }
            return seq;
        }
    }

    private static void print(PrintWriter out, ObjectNode r) {
        out.println();
        out.println("prompt " + CliText.quoted(r.path("prompt").asText()) + " (" + r.path("tokens").asInt() + " tokens)");
        for (var c : r.path("captures")) {
            if (c.path("shape").isNull()) {
                out.println("  capture " + c.path("layer").asText() + ": nothing captured (not on the forward path)");
                continue;
            }
            List<Long> shape = new ArrayList<>();
            c.path("shape").forEach(d -> shape.add(d.asLong()));
            out.printf(Locale.ROOT, "  capture %s: shape %s  mean %.4f  std %.4f  min %.4f  max %.4f  norm %.4f%n",
                    c.path("layer").asText(), shape, c.path("mean").asDouble(), c.path("std").asDouble(),
                    c.path("min").asDouble(), c.path("max").asDouble(), c.path("norm").asDouble());
        }
        out.println("  next tokens:");
        for (var t : r.path("next_tokens")) {
            out.printf(Locale.ROOT, "    %6.2f%%  %s%n", 100 * t.path("probability").asDouble(),
                    CliText.quoted(t.path("token").asText()));
        }
    }

    static void requireTokenizer(LanguageModel lm) {
        if (!lm.hasTokenizer()) {
            throw new io.microw.MicrowException("the model has no tokenizer (tokenizer.json), so it cannot read text "
                    + "prompts");
        }
    }

}
