package io.microw.cli;

import ai.djl.ndarray.NDArray;
import io.microw.demo.BrownGpt2;
import io.microw.hooks.FunctionController;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.GenerationConfig;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.Layers;
import io.microw.lm.UnknownLayerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw demo}: a tour of microw on the embedded brown-gpt2 model. It lists a few layers and their
 * aliases, attaches a detector (records a block's output) and a controller (scales a layer's output), generates
 * greedily without and with the controller, and summarises what the detector captured.
 */
@Command(name = "demo",
        description = {"A two-minute tour: layer names, a detector that records activations, "
            + "and a controller that steers generation, on the embedded brown-gpt2 model."})
final class DemoCommand implements Callable<Integer> {

    /** Scaling the middle MLP's output by this flips brown-gpt2's greedy continuation of the default prompt. */
    static final String DEFAULT_SCALE = "3";

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--prompt", defaultValue = "The jury said", description = "Prompt to continue (default: ${DEFAULT-VALUE}).")
    String prompt;

    @Option(names = "--max-new-tokens", defaultValue = "20", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--detect", defaultValue = "layer_1", paramLabel = "LAYER",
            description = "Layer whose output the detector records (default: ${DEFAULT-VALUE}).")
    String detectLayer;

    @Option(names = "--steer", defaultValue = "transformer.h.2.mlp", paramLabel = "LAYER",
            description = "Layer whose output the controller scales (default: ${DEFAULT-VALUE}).")
    String steerLayer;

    @Option(names = "--scale", defaultValue = DEFAULT_SCALE,
            description = "Factor the controller multiplies the steered layer's output by (default: ${DEFAULT-VALUE}).")
    float scale;

    @Override
    public Integer call() {
        if (maxNewTokens < 1) {
            throw new ParameterException(spec.commandLine(), "--max-new-tokens must be at least 1, got " + maxNewTokens);
        }
        if (prompt.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--prompt must not be empty");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = BrownGpt2.load();
             LayerActivationDetector detector = new LayerActivationDetector(detectLayer)) {
            Layers layers = lm.layers();
            String detectName = resolve(layers, "--detect", detectLayer);
            String steerName = resolve(layers, "--steer", steerLayer);
            heading(out, "Model");
            out.println(BrownGpt2.NAME + ": " + Models.describe(lm.config()));
            out.println("loaded from " + BrownGpt2.directory());

            heading(out, "Layers (" + layers.names().size() + " in all; `microw layers` lists every one)");
            for (String name : sampleLayers(lm, detectName, steerName)) {
                out.println("  " + name + "  " + lm.layers().module(name).typeName());
                out.println("      aliases: " + String.join(", ", layers.aliasesOf(name)));
            }

            heading(out, "Hooks");
            String detectorId = layers.registerHook(detectLayer, detector);
            out.println("  detector   LayerActivationDetector on " + detectName + "  (keeps a copy of its output)");
            FunctionController controller = new FunctionController(steerLayer, x -> x.mul(scale));
            String controllerId = layers.registerHook(steerLayer, controller);
            out.println("  controller FunctionController on " + steerName + "  (multiplies its output by "
                    + format(scale) + ")");

            heading(out, "Generation (greedy, " + maxNewTokens + " new tokens)");
            GenerationConfig greedy = GenerationConfig.greedy(maxNewTokens);
            layers.disableHook(controllerId);
            String plain = lm.inference().generate(List.of(prompt), greedy).texts().get(0);
            layers.enableHook(controllerId);
            String steered = lm.inference().generate(List.of(prompt), greedy).texts().get(0);
            out.println("  without the controller: " + oneLine(plain));
            out.println("  with the controller:    " + oneLine(steered));
            if (plain.equals(steered)) {
                out.println("  (same text: try another --scale or --steer layer)");
            }

            heading(out, "Captured activations of " + detectName + " (" + detectLayer + ")");
            // During generation the detector sees one new token per step (a KV cache holds the rest); run the
            // prompt once more, controllers off, so the capture covers every prompt token.
            try (InferenceResult result = lm.inference().executeInference(List.of(prompt),
                    InferenceOptions.defaults().withControllers(false))) {
                NDArray captured = detector.getCaptured();
                if (captured == null) {
                    out.println("  nothing was captured (is the detector's layer on the forward path?)");
                } else {
                    String[] tokens = result.encodings().tokens()[0];
                    StringBuilder shown = new StringBuilder();
                    for (String token : tokens) {
                        // byte-level BPE writes a leading space as 'Ġ'
                        shown.append(shown.length() == 0 ? "" : " ").append('"').append(token.replace('Ġ', ' ')).append('"');
                    }
                    out.println("  prompt tokens: " + shown);
                    out.println("  shape " + captured.getShape() + " [batch, tokens, hidden], " + captured.getDataType());
                    out.println("  " + TensorStats.of(captured));
                }
            }
            layers.unregisterHook(detectorId);
            layers.unregisterHook(controllerId);
            out.flush();
        }
        return 0;
    }

    /** The canonical name of a layer option's value; an unknown name is an error naming the option. */
    private static String resolve(Layers layers, String option, String value) {
        try {
            return layers.resolve(value);
        } catch (UnknownLayerException e) {
            throw new UnknownLayerException(option + ": " + e.getMessage() + "; `microw layers` shows every layer");
        }
    }

    /** A few layers worth showing a newcomer: embeddings, the hooked ones, an attention pattern, the head. */
    private static List<String> sampleLayers(LanguageModel lm, String detectName, String steerName) {
        int middle = lm.config().numLayers() / 2;
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        names.add("transformer.wte");
        names.add(detectName);
        names.add(lm.layers().resolve("blocks." + middle + ".attn.hook_pattern"));
        names.add(steerName);
        names.add("lm_head");
        names.removeIf(n -> !lm.layers().names().contains(n));
        return List.copyOf(names);
    }

    private static void heading(PrintWriter out, String title) {
        out.println();
        out.println("== " + title + " ==");
    }

    private static String oneLine(String text) {
        return '"' + text.replace("\n", "\\n") + '"';
    }

    private static String format(float f) {
        return f == Math.rint(f) ? Integer.toString((int) f) : String.format(Locale.ROOT, "%s", f);
    }
}
