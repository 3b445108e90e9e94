package io.microw.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.lm.GenerationConfig;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * How {@code generate} and {@code steer} decode: greedy by default; sampled when {@code --temperature},
 * {@code --top-k} or {@code --top-p} is given (from {@code --seed}, so a run repeats).
 */
final class SamplingOptions {

    /** The most --max-new-tokens: beyond any model's context (checked when generating), far below int overflow. */
    private static final int MAX_NEW_TOKENS = 1_000_000;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "20",
            description = "Tokens to generate per prompt, within the model's context (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "Sample with this temperature (> 0).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample from the K most likely tokens (0: all).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample from the smallest set of tokens whose "
            + "probability reaches P, in (0, 1].")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed of the sampler (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "Divide the positive logits (multiply "
            + "the negative ones) of tokens already in the text by R before each choice (> 0; 1: none).")
    Double repetitionPenalty;

    @Option(names = "--stop", paramLabel = "TEXT", description = "End a continuation once it contains TEXT "
            + "(repeatable).")
    java.util.List<String> stop = new java.util.ArrayList<>();

    boolean sampling() {
        return temperature != null || topK != null || topP != null;
    }

    /** The generation config; a bad value is a usage error naming the option. */
    GenerationConfig config(CommandLine cmd) {
        GenerationConfig.Builder b = GenerationConfig.builder();
        if (maxNewTokens > MAX_NEW_TOKENS) {
            throw new ParameterException(cmd, "--max-new-tokens must be at most " + MAX_NEW_TOKENS + ", got "
                    + maxNewTokens);
        }
        check(cmd, "--max-new-tokens", () -> b.maxNewTokens(maxNewTokens));
        if (repetitionPenalty != null) {
            check(cmd, "--repetition-penalty", () -> b.repetitionPenalty(repetitionPenalty));
        }
        check(cmd, "--stop", () -> b.stopStrings(stop));
        if (sampling()) {
            b.doSample(true).seed(seed);
            if (temperature != null) {
                check(cmd, "--temperature", () -> b.temperature(temperature));
            }
            if (topK != null) {
                check(cmd, "--top-k", () -> b.topK(topK));
            }
            if (topP != null) {
                check(cmd, "--top-p", () -> b.topP(topP));
            }
        }
        return b.build();
    }

    /** A one-line description: "greedy" or "sampled (temperature 0.8, top-k 40, seed 0)". */
    String describe() {
        if (!sampling()) {
            return "greedy";
        }
        StringBuilder s = new StringBuilder("sampled (");
        if (temperature != null) {
            s.append("temperature ").append(CliText.number(temperature)).append(", ");
        }
        if (topK != null) {
            s.append("top-k ").append(topK).append(", ");
        }
        if (topP != null) {
            s.append("top-p ").append(CliText.number(topP)).append(", ");
        }
        return s.append("seed ").append(seed).append(')').toString();
    }

    void putJson(ObjectNode node) {
        node.put("max_new_tokens", maxNewTokens);
        if (repetitionPenalty != null) {
            node.put("repetition_penalty", repetitionPenalty);
        }
        if (!stop.isEmpty()) {
            stop.forEach(node.putArray("stop")::add);
        }
        node.put("sampling", sampling());
        if (sampling()) {
            if (temperature != null) {
                node.put("temperature", temperature);
            }
            if (topK != null) {
                node.put("top_k", topK);
            }
            if (topP != null) {
                node.put("top_p", topP);
            }
            node.put("seed", seed);
        }
    }

    private static void check(CommandLine cmd, String option, Runnable set) {
        try {
            set.run();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cmd, option + ": " + e.getMessage());
        }
    }
}
