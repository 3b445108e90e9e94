package io.microw.cli;

import io.microw.frontend.ModelReference;
import io.microw.lm.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code microw model layers}: the module tree of a model (as {@code microw layers}), or JSON. */
@Command(name = "layers",
        description = {"List the named layers of a model: the names you register hooks on.",
            "Each line shows the canonical name (the Hugging Face module path), its class and its aliases."},
        footer = {"", "Examples:", "  microw model layers", "  microw model layers --flat | grep mlp",
            "  microw model layers --model path/to/model --json"})
final class ModelLayersCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Option(names = "--flat", description = "One canonical name per line, nothing else (for scripts).")
    boolean flat;

    @Option(names = "--no-aliases", description = "Leave the aliases out of the tree.")
    boolean noAliases;

    @Option(names = "--json", description = "Print one JSON document: every layer with its type, depth and aliases.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = ModelReference.parse(model).open()) {
            if (json) {
                Json.print(out, LayerTree.json(lm, ModelReference.displayName(model)));
            } else if (flat) {
                LayerTree.printFlat(out, lm);
            } else {
                LayerTree.printTree(out, lm, ModelReference.displayName(model), !noAliases);
            }
            out.flush();
        }
        return 0;
    }
}
