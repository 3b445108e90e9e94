package io.microw.demo;

import io.microw.demo.Floats.Tensor;
import io.microw.hooks.ModelInputDetector;
import io.microw.lm.GenerationConfig;
import io.microw.lm.InferenceOptions;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.microw.demo.Floats.logits;
import static io.microw.demo.Floats.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad and over-long texts on brown-gpt2 (context 256): clear errors, truncation, and a usable model after. */
class TextInputTest {

    private static final List<String> GOOD = List.of("The jury said it", "Hello");
    private static final String LONG = "The jury said it did not find any evidence of fraud in the election. ".repeat(40);

    private static LanguageModel lm;
    private static Tensor goodLogits;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        goodLogits = logits(lm, GOOD);
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void modelStillWorks() {
        assertThat(lm.layers().allHooks()).isEmpty();
        assertThat(maxDiff(logits(lm, GOOD), goodLogits)).isZero();
    }

    @Test
    void emptyTextList() {
        assertThatThrownBy(() -> lm.inference().executeInference(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> lm.inference().executeInference(null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> lm.inference().generate(List.of(), GenerationConfig.greedy(3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void textWithoutTokens() {
        assertThatThrownBy(() -> lm.inference().executeInference(List.of("fine", "")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("text 1")
                .hasMessageContaining("no tokens");
        assertThatThrownBy(() -> lm.inference().executeInference(Arrays.asList("fine", null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("text 1 is null");
    }

    @Test
    void longTextIsTruncatedToTheContextByDefault() {
        int tokens = lm.tokenizer().encode(LONG).length;
        assertThat(tokens).isGreaterThan(256);
        ModelInputDetector input = new ModelInputDetector();
        String id = lm.layers().registerHook("root", input);
        try (InferenceResult r = lm.inference().executeInference(List.of(LONG, "Short"))) {
            assertThat(r.encodings().seqLength()).isEqualTo(256);
            assertThat(r.logits().getShape().getShape()).containsExactly(2, 256, 4096);
            long[] expected = Arrays.copyOf(lm.tokenizer().encode(LONG), 256);
            assertThat(input.inputIds()[0]).containsExactly(expected);
            assertThat(Arrays.stream(input.attentionMask()[1]).sum()).isEqualTo(lm.tokenizer().encode("Short").length);
        } finally {
            lm.layers().unregisterHook(id);
        }
        // The truncated text computes what its first 256 tokens compute.
        long[][] first = {Arrays.copyOf(lm.tokenizer().encode(LONG), 256)};
        try (InferenceResult viaIds = lm.inference().forward(first, null);
             InferenceResult viaText = lm.inference().executeInference(List.of(LONG))) {
            assertThat(maxDiff(Tensor.of(viaIds.logits()), Tensor.of(viaText.logits()))).isZero();
        }
    }

    @Test
    void truncationOffRejectsTheLongTextNamingItsLength() {
        int tokens = lm.tokenizer().encode(LONG).length;
        assertThatThrownBy(() -> lm.inference().executeInference(List.of("Short", LONG),
                InferenceOptions.defaults().withTruncation(false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("text 1 has " + tokens + " tokens")
                .hasMessageContaining("256");
        // A text that fits is fine without truncation.
        try (InferenceResult r = lm.inference().executeInference(GOOD, InferenceOptions.defaults().withTruncation(false))) {
            assertThat(maxDiff(Tensor.of(r.logits()), goodLogits)).isZero();
        }
    }

    @Test
    void maxLengthTruncatesShorterAndCannotExceedTheContext() {
        try (InferenceResult r = lm.inference().executeInference(List.of(LONG),
                InferenceOptions.defaults().withMaxLength(10))) {
            assertThat(r.encodings().seqLength()).isEqualTo(10);
        }
        try (InferenceResult r = lm.inference().executeInference(List.of(LONG),
                InferenceOptions.defaults().withMaxLength(100_000))) {
            assertThat(r.encodings().seqLength()).isEqualTo(256);
        }
        assertThatThrownBy(() -> lm.inference().executeInference(List.of(LONG),
                InferenceOptions.defaults().withMaxLength(10).withTruncation(false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maximum 10");
    }

    @Test
    void generationPromptTooLongForTheRequestedTokens() {
        assertThatThrownBy(() -> lm.inference().generate(List.of(LONG), GenerationConfig.greedy(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256 tokens plus 5 new tokens")
                .hasMessageContaining("256 positions");
    }
}
