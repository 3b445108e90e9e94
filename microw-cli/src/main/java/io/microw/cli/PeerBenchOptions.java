package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The options of a benchmark run beside its PyTorch peer ({@code --model}, {@code --threads}, {@code --peer},
 * {@code --no-peer}, {@code --json}), mixed into {@code microw bench patching}, {@code gradients} and {@code generate}.
 */
final class PeerBenchOptions {

    @Option(names = "--model", split = ",", paramLabel = "NAME",
            description = "Workloads: brown-gpt2, gpt2-small, llama (default: brown-gpt2,gpt2-small).")
    List<String> models = new ArrayList<>(List.of("brown-gpt2", "gpt2-small"));

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: $THREADS, else 2, as the peer).")
    Integer threads;

    @Option(names = "--peer", paramLabel = "SCRIPT",
            description = "The PyTorch peer's script (default: ../shared/bench/run-torch-ref.sh, else "
                    + "/work/shared/bench/run-torch-ref.sh).")
    Path peer;

    @Option(names = "--no-peer", description = "Do not run the PyTorch peer.")
    boolean noPeer;

    @Option(names = "--json", description = "Print only the JSON lines.")
    boolean jsonOnly;

    /** The workloads to run, after checking {@code --model}. */
    List<String> workloads(CommandLine commandLine) {
        BenchSupport.checkWorkloads(commandLine, models);
        return models;
    }

    /**
     * Sets PyTorch's intra-op threads to {@code --threads} (else the default) before a benchmark runs.
     *
     * @param commandLine the command, for its usage error
     * @return the threads set
     */
    int startEngine(CommandLine commandLine) {
        if (threads != null && threads < 1) {
            throw new ParameterException(commandLine, "--threads must be at least 1, got " + threads);
        }
        int count = threads != null ? threads : BenchSupport.defaultThreads();
        Engine.getEngine("PyTorch");   // loads the native library the next call needs
        JniUtils.setNumThreads(count);
        return count;
    }

    /** The engine as the benchmark lines name it, e.g. {@code PyTorch 2.7.1 via DJL 0.36.0}. */
    static String engineLabel() {
        return "PyTorch " + Engine.getEngine("PyTorch").getVersion() + " via DJL " + Engine.getDjlVersion();
    }
    /** The peer's JSON lines for {@code workload}, or none with {@code --no-peer}. */
    List<JsonNode> peerLines(String workload, PrintWriter err) {
        return noPeer ? List.of() : TorchPeer.run(peer != null ? peer : TorchPeer.find(), workload, err);
    }
}
