package io.microw.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.store.LocalStore;
import io.microw.store.StoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw activations list}: the runs of a store, one per line, with status, batches, tokens and layers. A run
 * whose meta.json says running while its writer process is gone shows as interrupted.
 */
@Command(name = "list", description = "List the runs of a store.",
        footer = {"", "Example:", "  microw activations list --store microw-store --json"})
final class ActivationsListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--store", paramLabel = "DIR", defaultValue = ActivationsCommand.DEFAULT_STORE,
            description = "Store directory (default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--json", description = "Print one JSON document: {store, runs: [{run, status, batches, "
            + "real_tokens, layers}]}.")
    boolean json;

    @Override
    public Integer call() {
        LocalStore s = new LocalStore(store);
        PrintWriter out = spec.commandLine().getOut();
        List<String> runs = s.listRuns();
        if (json) {
            ObjectNode doc = Json.object();
            doc.put("store", s.base().toString());
            ArrayNode list = doc.putArray("runs");
            for (String run : runs) {
                list.add(json(s, run));
            }
            Json.print(out, doc);
            return 0;
        }
        if (runs.isEmpty()) {
            out.println("no runs in " + s.base());
        } else {
            out.printf(Locale.ROOT, "%-28s %-11s %8s %12s  %s%n", "RUN", "STATUS", "BATCHES", "TOKENS", "LAYERS");
            for (String run : runs) {
                out.println(line(s, run));
            }
        }
        out.flush();
        return 0;
    }

    private static String line(LocalStore s, String run) {
        try {
            ObjectNode meta = s.runMetadata(run);
            return String.format(Locale.ROOT, "%-28s %-11s %8d %,12d  %s", run, meta.path("status").asText("?"),
                    s.listBatches(run).size(), meta.path("real_tokens").asLong(), String.join(",", layers(meta)));
        } catch (StoreException e) {
            return String.format(Locale.ROOT, "%-28s %-11s %8d %12s  (%s)", run, "unknown", s.listBatches(run).size(),
                    "?", "no readable meta.json");
        }
    }

    private static ObjectNode json(LocalStore s, String run) {
        ObjectNode n = Json.object();
        n.put("run", run);
        n.put("batches", s.listBatches(run).size());
        try {
            ObjectNode meta = s.runMetadata(run);
            n.put("status", meta.path("status").asText("unknown"));
            n.put("real_tokens", meta.path("real_tokens").asLong());
            ArrayNode layers = n.putArray("layers");
            layers(meta).forEach(layers::add);
        } catch (StoreException e) {
            n.put("status", "unknown");
            n.putNull("real_tokens");
            n.putArray("layers");
            n.put("error", "no readable meta.json");
        }
        return n;
    }

    /** The layer names of a run's metadata. */
    static List<String> layers(ObjectNode meta) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        meta.path("layers").forEach(n -> out.add(n.asText()));
        return out;
    }
}
