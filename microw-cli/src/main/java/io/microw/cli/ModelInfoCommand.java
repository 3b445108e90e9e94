package io.microw.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.frontend.ModelReference;
import io.microw.io.Checkpoints;
import io.microw.io.TensorInfo;
import io.microw.io.WeightSource;
import io.microw.lm.LanguageModel;
import io.microw.models.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** {@code microw model info}: architecture, sizes, parameter count, dtype and tokenizer of a model. */
@Command(name = "info", description = "Show a model's architecture, sizes, parameter count, dtype and tokenizer.",
        footer = {"", "Examples:", "  microw model info", "  microw model info --model path/to/model --json"})
final class ModelInfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = ModelReference.parse(model).open()) {
            ModelConfig c = lm.config();
            Optional<Checkpoint> weights = lm.directory().flatMap(ModelInfoCommand::checkpoint);
            String label = ModelReference.displayName(model);
            if (json) {
                ObjectNode n = Json.object();
                n.put("model", label);
                lm.directory().ifPresentOrElse(d -> n.put("directory", d.toString()), () -> n.putNull("directory"));
                n.put("architecture", c.architecture());
                n.put("model_type", c.modelType());
                n.put("layers", c.numLayers());
                n.put("hidden_size", c.hiddenSize());
                n.put("heads", c.numHeads());
                n.put("vocab_size", c.vocabSize());
                n.put("context", c.maxPositions());
                weights.ifPresentOrElse(w -> n.put("parameters", w.parameters()), () -> n.putNull("parameters"));
                weights.ifPresentOrElse(w -> n.put("checkpoint_dtype", w.dtypes()), () -> n.putNull("checkpoint_dtype"));
                n.put("dtype", lm.dtype().toString().toLowerCase(Locale.ROOT));
                n.put("device", device(lm));
                n.put("tokenizer", lm.hasTokenizer());
                n.put("hookable_layers", lm.layers().names().size());
                Json.print(out, n);
                return 0;
            }
            out.println("model         " + label);
            lm.directory().ifPresent(d -> out.println("directory     " + d));
            out.println("architecture  " + c.architecture() + " (" + c.modelType() + ")");
            out.println("layers        " + c.numLayers());
            out.println("hidden size   " + c.hiddenSize());
            out.println("heads         " + c.numHeads());
            out.println("vocab         " + c.vocabSize());
            out.println("context       " + c.maxPositions());
            out.println("parameters    " + weights.map(w -> String.format(Locale.ROOT, "%,d (%s in the checkpoint)",
                    w.parameters(), w.dtypes())).orElse("unknown (no checkpoint)"));
            out.println("dtype         " + lm.dtype().toString().toLowerCase(Locale.ROOT) + " on " + device(lm));
            out.println("tokenizer     " + (lm.hasTokenizer() ? "yes" : "no (generation and text prompts need one)"));
            out.println("named layers  " + lm.layers().names().size() + " (`microw model layers` lists them)");
            out.flush();
        }
        return 0;
    }

    /** "cpu" or "gpu:0". */
    static String device(LanguageModel lm) {
        ai.djl.Device d = lm.device();
        return d.isGpu() ? "gpu:" + d.getDeviceId() : d.getDeviceType();
    }

    /** Parameters stored in a checkpoint and their dtypes ("F32", "BF16+F32"). */
    record Checkpoint(long parameters, String dtypes) {
    }

    private static Optional<Checkpoint> checkpoint(Path dir) {
        try (WeightSource w = Checkpoints.open(dir)) {
            long total = 0;
            TreeSet<String> dtypes = new TreeSet<>();
            for (String name : w.names()) {
                TensorInfo info = w.info(name);
                total += info.numel();
                dtypes.add(info.dtype().toString());
            }
            return Optional.of(new Checkpoint(total, String.join("+", dtypes)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
