package io.microw.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.frontend.PromptPair;
import io.microw.lm.LogitMetric;
import picocli.CommandLine.Option;

/**
 * The clean and corrupted prompts and the two answer tokens of a logit-difference experiment ({@code --clean},
 * {@code --corrupt}, {@code --answer}, {@code --wrong}), mixed into {@code microw patch} and {@code microw attribute}.
 */
final class PromptPairOptions {

    @Option(names = "--clean", required = true, paramLabel = "TEXT", description = "The clean prompt.")
    String clean;

    @Option(names = "--corrupt", required = true, paramLabel = "TEXT",
            description = "The corrupted prompt, as many tokens as the clean one (patch --what heads: any number; the "
                    + "prompts are aligned on their last token; attribute --method ig|saliency: any number, only its "
                    + "metric is reported).")
    String corrupt;

    @Option(names = "--answer", required = true, paramLabel = "TOKEN",
            description = "The token the clean prompt predicts (exactly one token, e.g. ' Mary').")
    String answer;

    @Option(names = "--wrong", required = true, paramLabel = "TOKEN",
            description = "The token to compare it with (exactly one token, e.g. ' John').")
    String wrong;

    /**
     * The prompts and answer tokens as ids.
     *
     * @param clean   the clean prompt's ids
     * @param corrupt the corrupted prompt's ids
     * @param answer  the answer token
     * @param wrong   the token it is compared with
     */
    record Ids(long[] clean, long[] corrupt, long answer, long wrong) {

        /** logit(answer) − logit(wrong) at the last position. */
        LogitMetric metric() {
            return LogitMetric.logitDiff(answer, wrong);
        }
    }

    /** The ids of the prompts and tokens, each refused (a usage error naming the flag) as {@link PromptTokens} does. */
    Ids ids(PromptTokens tokens) {
        long[] cleanIds = tokens.prompt("--clean", clean);
        long[] corruptIds = tokens.prompt("--corrupt", corrupt);
        return new Ids(cleanIds, corruptIds, tokens.single("--answer", answer), tokens.single("--wrong", wrong));
    }

    /** The prompts and tokens as given, for a job spec. */
    PromptPair pair() {
        return new PromptPair(clean, corrupt, answer, wrong);
    }

    /** The metric as text: {@code logit(" was") - logit(" had")}. */
    String metricLabel() {
        return "logit(" + CliText.quoted(answer) + ") - logit(" + CliText.quoted(wrong) + ")";
    }

    /** Adds the prompts, the tokens, the metric's name and each prompt's tokens to a command's JSON document. */
    void describe(ObjectNode doc, PromptTokens tokens, Ids ids) {
        doc.put("clean", clean);
        doc.put("corrupt", corrupt);
        doc.put("answer", answer);
        doc.put("wrong", wrong);
        doc.put("metric", metricLabel());
        tokens.decoded(ids.clean()).forEach(doc.putArray("clean_tokens")::add);
        tokens.decoded(ids.corrupt()).forEach(doc.putArray("corrupt_tokens")::add);
    }
}
