package io.microw.tokenizer;

import io.microw.testing.WordTokenizers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static io.microw.testing.WordTokenizers.GPT2_BOS;
import static io.microw.testing.WordTokenizers.LLAMA_BOS;
import static io.microw.testing.WordTokenizers.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Tokenizer#encodeBatch(List, int, boolean, PaddingSide, boolean)} with TransformerLens' {@code prepend_bos}:
 * exactly one BOS token first (put in front for a GPT-2 style tokenizer, the tokenizer's own for a Llama style one,
 * never doubled), none with false, marked special, counted in the maximum length, the text's tokens unchanged.
 */
class PrependBosTokenizerTest {

    @TempDir
    Path tmp;

    @Test
    void gpt2StyleGetsTheBosIdInFrontOfTheTextsTokens() throws IOException {
        try (Tokenizer tok = Tokenizer.load(WordTokenizers.gpt2Style(tmp))) {
            assertThat(tok.addsBos()).isFalse();
            Encodings plain = tok.encodeBatch(List.of("the cat sat", "a dog"), 64, true, PaddingSide.RIGHT);
            assertThat(plain.inputIds()[0]).containsExactly(ids("the cat sat"));
            Encodings bos = tok.encodeBatch(List.of("the cat sat", "a dog"), 64, true, PaddingSide.RIGHT, true);
            assertThat(bos.inputIds()[0]).containsExactly(GPT2_BOS, 10, 11, 12);
            assertThat(bos.inputIds()[1]).containsExactly(GPT2_BOS, 14, 16, GPT2_BOS); // padded with EOS
            assertThat(bos.attentionMask()[1]).containsExactly(1, 1, 1, 0);
            assertThat(bos.specialTokensMask()[0]).containsExactly(1, 0, 0, 0);
            assertThat(bos.tokens()[0]).containsExactly("<|endoftext|>", "the", "cat", "sat");
            Encodings left = tok.encodeBatch(List.of("the cat sat", "a dog"), 64, true, PaddingSide.LEFT, true);
            assertThat(left.inputIds()[1]).containsExactly(GPT2_BOS, GPT2_BOS, 14, 16);
            assertThat(left.attentionMask()[1]).containsExactly(0, 1, 1, 1);
            assertThat(tok.encodeBatch(List.of("the cat"), 64, true, PaddingSide.RIGHT, false).inputIds()[0])
                    .as("false on a tokenizer that adds none changes nothing").containsExactly(ids("the cat"));
        }
    }

    @Test
    void llamaStyleIsNotDoubledAndFalseDropsTheTokenizersBos() throws IOException {
        try (Tokenizer tok = Tokenizer.load(WordTokenizers.llamaStyle(tmp))) {
            assertThat(tok.addsBos()).isTrue();
            assertThat(tok.encodeBatch(List.of("the cat"), 64, true, PaddingSide.RIGHT).inputIds()[0])
                    .as("the tokenizer's own").containsExactly(LLAMA_BOS, 10, 11);
            Encodings bos = tok.encodeBatch(List.of("the cat"), 64, true, PaddingSide.RIGHT, true);
            assertThat(bos.inputIds()[0]).containsExactly(LLAMA_BOS, 10, 11);
            assertThat(bos.specialTokensMask()[0]).containsExactly(1, 0, 0);
            Encodings none = tok.encodeBatch(List.of("the cat"), 64, true, PaddingSide.RIGHT, false);
            assertThat(none.inputIds()[0]).containsExactly(10, 11);
            assertThat(none.tokens()[0]).containsExactly("the", "cat");
            assertThat(none.specialTokensMask()[0]).containsExactly(0, 0);
        }
    }

    @Test
    void theBosCountsTowardsTheMaximumLength() throws IOException {
        try (Tokenizer tok = Tokenizer.load(WordTokenizers.gpt2Style(tmp))) {
            assertThat(tok.encodeBatch(List.of("the cat sat on"), 3, true, PaddingSide.RIGHT, true).inputIds()[0])
                    .containsExactly(GPT2_BOS, 10, 11);
            assertThatThrownBy(() -> tok.encodeBatch(List.of("the cat sat"), 3, false, PaddingSide.RIGHT, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("4 tokens with the BOS token, more than the maximum 3");
        }
    }

    @Test
    void prependingNeedsABosToken() throws IOException {
        Path dir = WordTokenizers.gpt2Style(tmp);
        java.nio.file.Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|endoftext|>\"}");
        try (Tokenizer tok = Tokenizer.load(dir)) {
            assertThatThrownBy(() -> tok.encodeBatch(List.of("the"), 8, true, PaddingSide.RIGHT, true))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has none");
        }
    }
}
