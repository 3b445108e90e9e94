package io.microw.cli;

import io.microw.frontend.ModelReference;
import io.microw.lm.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code microw layers [DIR]}: the module tree of a model (the demo model without DIR), one layer per line,
 * indented by depth, with its Hugging Face class and the aliases that resolve to it; {@code --flat} prints
 * only the canonical names.
 */
@Command(name = "layers",
        description = {"List the named layers of a model: the names you register hooks on.",
            "Each line shows the canonical name (the Hugging Face module path), its class and its aliases."},
        footer = {"", "Examples:", "  microw layers                 the embedded brown-gpt2",
            "  microw layers path/to/model   a model directory (see also: microw model layers --model M --json)"})
final class LayersCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR",
            description = "Model directory (config.json, model.safetensors, tokenizer.json). Default: the demo model.")
    Path dir;

    @Option(names = "--flat", description = "One canonical name per line, nothing else (for scripts).")
    boolean flat;

    @Option(names = "--no-aliases", description = "Leave the aliases out of the tree.")
    boolean noAliases;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = (dir == null ? ModelReference.demo() : ModelReference.directory(dir)).open()) {
            if (flat) {
                LayerTree.printFlat(out, lm);
            } else {
                LayerTree.printTree(out, lm, Models.label(dir), !noAliases);
            }
            out.flush();
        }
        return 0;
    }
}
