package io.microw.cli;

import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.JsonMapper;
import io.microw.store.LocalStore;
import io.microw.store.StoredTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code microw activations info RUN}: a run's metadata ({@code meta.json}), its complete batches, and what the
 * first batch holds (each layer's tensors with dtype and shape).
 */
@Command(name = "info", description = "Show a run: its metadata, batches and the tensors of its first batch.",
        footer = {"", "Example:", "  microw activations info my-run --store microw-store --json"})
final class ActivationsInfoCommand implements Callable<Integer> {

    private static final ObjectWriter JSON = JsonMapper.pretty();

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run id (see `microw activations list`).")
    String run;

    @Option(names = "--store", paramLabel = "DIR", defaultValue = ActivationsCommand.DEFAULT_STORE,
            description = "Store directory (default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--json", description = "Print one JSON document: {run, path, meta, batches, first_batch: "
            + "[{layer, key, dtype, shape}]}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        LocalStore s = new LocalStore(store);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, json(s));
            return 0;
        }
        out.println("run " + run + " in " + s.runDirectory(run));
        out.println(JSON.writeValueAsString(s.runMetadata(run)));
        List<Integer> batches = s.listBatches(run);
        out.println(batches.size() + " complete batches");
        if (!batches.isEmpty()) {
            int first = batches.get(0);
            out.println("batch_" + first + ":");
            for (String layer : s.batchLayers(run, first)) {
                for (String key : s.batchKeys(run, first, layer)) {
                    StoredTensor t = s.readTensor(run, first, layer, key);
                    out.println("  " + layer + "/" + key + "  " + t.dtype() + " " + Arrays.toString(t.shape()));
                }
            }
        }
        out.flush();
        return 0;
    }

    private ObjectNode json(LocalStore s) {
        ObjectNode doc = Json.object();
        doc.put("run", run);
        doc.put("path", s.runDirectory(run).toString());
        doc.set("meta", s.runMetadata(run));
        List<Integer> batches = s.listBatches(run);
        ArrayNode ids = doc.putArray("batches");
        batches.forEach(ids::add);
        ArrayNode first = doc.putArray("first_batch");
        if (!batches.isEmpty()) {
            int b = batches.get(0);
            for (String layer : s.batchLayers(run, b)) {
                for (String key : s.batchKeys(run, b, layer)) {
                    StoredTensor t = s.readTensor(run, b, layer, key);
                    ObjectNode n = first.addObject();
                    n.put("layer", layer);
                    n.put("key", key);
                    n.put("dtype", t.dtype().toString());
                    ArrayNode shape = n.putArray("shape");
                    Arrays.stream(t.shape()).forEach(shape::add);
                }
            }
        }
        return doc;
    }
}
