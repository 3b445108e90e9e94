package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The PyTorch peer ({@code shared/bench/run-torch-ref.sh}), run as a child process so that a benchmark can print its
 * numbers side by side with microw's: the JSON lines it prints, or nothing (with a note) when it is missing or fails.
 */
final class TorchPeer {

    /** Where the peer lies by default, relative to a worktree (then to the shared checkout). */
    static final List<Path> DEFAULT_SCRIPTS = List.of(Path.of("../shared/bench/run-torch-ref.sh"),
            Path.of("/work/shared/bench/run-torch-ref.sh"));

    private TorchPeer() {
    }

    /** The first default script that exists, or {@code null}. */
    static Path find() {
        return DEFAULT_SCRIPTS.stream().filter(Files::isRegularFile).findFirst().orElse(null);
    }

    /**
     * The peer's script: {@code script} when given, else the first default that exists; {@code null}, with a note on
     * {@code err}, when there is none.
     */
    static Path resolve(Path script, PrintWriter err) {
        Path found = script != null ? script : find();
        if (found == null || !Files.isRegularFile(found)) {
            err.println("PyTorch peer: no script " + (found == null ? "at " + DEFAULT_SCRIPTS : found)
                    + "; printing microw's numbers alone");
            return null;
        }
        return found;
    }

    /**
     * Runs {@code script workloads...} and returns the JSON lines of its stdout; its stderr goes to {@code err}. A
     * failure is reported on {@code err} and gives what was read before it. The peer does not inherit microw's
     * engine defaults ({@link EngineEnvironment}; values the user set are passed on).
     */
    static List<JsonNode> run(Path script, List<String> workloads, PrintWriter err) {
        List<JsonNode> lines = new ArrayList<>();
        try {
            List<String> command = new ArrayList<>(List.of("bash", script.toString()));
            command.addAll(workloads);
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            EngineEnvironment.removeDefaults(builder.environment());   // the peer runs as its users run it
            Process p = builder.start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("{")) {
                        lines.add(Json.MAPPER.readTree(line));
                    }
                }
            }
            int code = p.waitFor();
            if (code != 0) {
                err.println("PyTorch peer: " + script + " " + String.join(" ", workloads) + " exited with " + code);
            }
        } catch (IOException e) {
            err.println("PyTorch peer: cannot run " + script + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return lines;
    }
}
