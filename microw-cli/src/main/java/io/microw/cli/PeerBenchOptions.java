package io.microw.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.lm.LanguageModel;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The options of a benchmark of the peer's model workloads ({@code --model}, {@code --threads}, {@code --json}), mixed
 * into {@code microw bench patching}, {@code gradients} and {@code generate} beside {@link PeerPairing}.
 */
final class PeerBenchOptions {

    @Option(names = "--model", split = ",", paramLabel = "NAME",
            description = "Workloads: brown-gpt2, gpt2-small, llama (default: brown-gpt2,gpt2-small).")
    List<String> models = new ArrayList<>(List.of("brown-gpt2", "gpt2-small"));

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: $THREADS, else 2, as the peer).")
    Integer threads;

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

    /**
     * microw's side of a pairing over the {@code --model} workloads: loads each model, measures it, closes it.
     *
     * @param commandLine the command, for a usage error in {@code --model}
     * @param measure     one JSON line for one loaded workload
     * @return the side, for {@link PeerPairing#run}
     */
    PeerPairing.MicrowSide eachModel(CommandLine commandLine, BiFunction<ForwardWorkload, LanguageModel, ObjectNode> measure) {
        List<String> ids = workloads(commandLine);
        return pair -> {
            List<ObjectNode> lines = new ArrayList<>();
            for (String id : ids) {
                ForwardWorkload w = ForwardWorkload.byId(id);
                try (LanguageModel lm = w.load()) {
                    lines.add(measure.apply(w, lm));
                }
            }
            return lines;
        };
    }

    /** The engine as the benchmark lines name it, e.g. {@code PyTorch 2.7.1 via DJL 0.36.0}. */
    static String engineLabel() {
        return "PyTorch " + Engine.getEngine("PyTorch").getVersion() + " via DJL " + Engine.getDjlVersion();
    }
}
