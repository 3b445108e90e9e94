package io.microw.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.frontend.ModelReference;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.LanguageModel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw model generate}: continues a prompt (or each line of a file), greedily or sampled, optionally with
 * layers scaled by {@code --scale}; a progress line over the prompts of a file; Ctrl-C stops after the current one.
 */
@Command(name = "generate",
        description = {"Continue a prompt, or each prompt of a file, greedily or sampled; hooks from --scale.",
            "Ctrl-C stops after the current prompt and prints what was generated so far."},
        footer = {"", "Examples:", "  microw model generate --prompt 'The jury said' --max-new-tokens 30",
            "  microw model generate --prompt 'The jury said' --temperature 0.8 --top-k 40 --seed 7",
            "  microw model generate --file prompts.txt --scale transformer.h.2.mlp=3 --json > out.json"})
final class ModelGenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource prompts;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--scale", paramLabel = "LAYER=FACTOR", converter = LayerScale.Converter.class,
            description = "Multiply this layer's output by FACTOR while generating (repeatable).")
    List<LayerScale> scales = new ArrayList<>();

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    @Option(names = "--no-progress", description = "No progress bar (shown for more than one prompt).")
    boolean noProgress;

    @Override
    public Integer call() {
        GenerationConfig config = sampling.config(spec.commandLine());
        List<String> texts = prompts.prompts(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode doc = Json.object();
        ProgressLine progress = new ProgressLine(err, !noProgress && texts.size() > 1);
        int done = 0;
        long started = System.nanoTime();
        try (LanguageModel lm = ModelReference.parse(model).open();
             HookFlags hooks = HookFlags.register(spec.commandLine(), lm, List.of(), scales);
             Interrupts interrupts = Interrupts.install(err, "prompt")) {
            ModelRunCommand.requireTokenizer(lm);
            doc.put("model", ModelReference.displayName(model));
            sampling.putJson(doc);
            ArrayNode scaled = doc.putArray("scaled");
            hooks.scaled().forEach(scaled::add);
            ArrayNode results = doc.putArray("generations");
            if (!json) {
                out.println(ModelReference.displayName(model) + ", " + sampling.describe() + ", up to "
                        + config.maxNewTokens() + " new tokens"
                        + (hooks.scaled().isEmpty() ? "" : ", scaled: " + String.join(", ", hooks.scaled())));
            }
            long newTokens = 0;
            for (String text : texts) {
                if (interrupts.stopRequested()) {
                    progress.finish();
                    err.println(interrupts.stoppedMessage(done, texts.size()));
                    break;
                }
                GenerationResult g = lm.inference().generate(List.of(text), config);
                ObjectNode r = results.addObject();
                r.put("prompt", text);
                r.put("completion", g.completions().get(0));
                r.put("text", g.texts().get(0));
                r.put("new_tokens", g.newTokens(0).length);
                newTokens += g.newTokens(0).length;
                if (!json) {
                    out.println();
                    out.println(g.texts().get(0));
                    out.flush();
                }
                done++;
                double seconds = (System.nanoTime() - started) / 1e9;
                progress.update(done, texts.size(), "prompts",
                        String.format(Locale.ROOT, "%,.0f tok/s", newTokens / Math.max(seconds, 1e-9)));
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
}
