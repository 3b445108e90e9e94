package io.microw.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.MicrowException;
import io.microw.store.LocalStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code microw activations delete RUN --yes}: removes a run's directory from a store. Without {@code --yes} it
 * deletes nothing: it says what it would delete and exits with the usage code (1), so a script cannot delete by
 * accident.
 */
@Command(name = "delete", description = {"Delete a run from a store (its directory and every batch).",
    "Deletes nothing without --yes: it shows what would go and exits with code 1."},
        footer = {"", "Example:", "  microw activations delete my-run --store microw-store --yes"})
final class ActivationsDeleteCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "RUN", description = "The run id (see `microw activations list`).")
    String run;

    @Option(names = "--store", paramLabel = "DIR", defaultValue = ActivationsCommand.DEFAULT_STORE,
            description = "Store directory (default: ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--yes", description = "Really delete (required).")
    boolean yes;

    @Option(names = "--json", description = "Print one JSON document: {run, path, deleted, batches, bytes}.")
    boolean json;

    @Override
    public Integer call() {
        LocalStore s = new LocalStore(store);
        Path dir = s.runDirectory(run);
        if (!s.hasRun(run)) {
            throw new MicrowException("no run '" + run + "' in store " + s.base() + " (`microw activations list --store "
                    + store + "` shows its runs)");
        }
        int batches = s.listBatches(run).size();
        long bytes = size(dir);
        String what = String.format(Locale.ROOT, "run %s (%d complete batches, %s) at %s", run, batches,
                human(bytes), dir);
        if (!yes) {
            throw new ParameterException(spec.commandLine(), "would delete " + what + "; add --yes to delete it");
        }
        boolean deleted = s.deleteRun(run);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode n = Json.object();
            n.put("run", run);
            n.put("path", dir.toString());
            n.put("deleted", deleted);
            n.put("batches", batches);
            n.put("bytes", bytes);
            Json.print(out, n);
        } else {
            out.println("deleted " + what);
            out.flush();
        }
        return 0;
    }

    private static long size(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
