package io.microw.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Objects;

/**
 * The clean and corrupted prompts and the two answer tokens of a logit-difference experiment, shared by the patching
 * and attribution jobs; the tokens are checked against the model when the job runs.
 *
 * @param clean   the clean prompt
 * @param corrupt the corrupted prompt
 * @param answer  the token the clean prompt predicts
 * @param wrong   the token it is compared with
 */
public record PromptPair(String clean, String corrupt, String answer, String wrong) {

    /** Checks that every field is given. */
    public PromptPair {
        Objects.requireNonNull(clean, "clean prompt");
        Objects.requireNonNull(corrupt, "corrupted prompt");
        Objects.requireNonNull(answer, "answer token");
        Objects.requireNonNull(wrong, "wrong token");
    }

    /**
     * Writes {@code clean}, {@code corrupt}, {@code answer} and {@code wrong} into a job's parameters.
     *
     * @param params the job's parameters
     */
    public void writeTo(ObjectNode params) {
        params.put("clean", clean);
        params.put("corrupt", corrupt);
        params.put("answer", answer);
        params.put("wrong", wrong);
    }

    /**
     * The pair {@link #writeTo} wrote.
     *
     * @param params a job's parameters
     * @return the pair
     */
    public static PromptPair readFrom(JsonNode params) {
        return new PromptPair(params.path("clean").asText(), params.path("corrupt").asText(),
                params.path("answer").asText(), params.path("wrong").asText());
    }
}
