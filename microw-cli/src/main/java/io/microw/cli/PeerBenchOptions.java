package io.microw.cli;

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
 * {@code --no-peer}, {@code --json}), mixed into {@code microw bench patching} and {@code microw bench gradients}.
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

    /** The threads to run with, after checking {@code --threads}. */
    int threadCount(CommandLine commandLine) {
        if (threads != null && threads < 1) {
            throw new ParameterException(commandLine, "--threads must be at least 1, got " + threads);
        }
        return threads != null ? threads : BenchSupport.defaultThreads();
    }

    /** The peer's JSON lines for {@code workload}, or none with {@code --no-peer}. */
    List<JsonNode> peerLines(String workload, PrintWriter err) {
        return noPeer ? List.of() : TorchPeer.run(peer != null ? peer : TorchPeer.find(), workload, err);
    }
}
