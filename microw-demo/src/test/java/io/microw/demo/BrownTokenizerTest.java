package io.microw.demo;

import io.microw.lm.LanguageModel;
import io.microw.tokenizer.Encodings;
import io.microw.tokenizer.PaddingSide;
import io.microw.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The demo model's tokenizer: special tokens from tokenizer_config.json, padding sides, truncation. */
class BrownTokenizerTest {

    private static LanguageModel lm;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        tokenizer = lm.tokenizer();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void specialTokensComeFromTokenizerConfig() {
        assertThat(tokenizer.bosTokenId()).hasValue(0);
        assertThat(tokenizer.eosTokenId()).hasValue(0);
        assertThat(tokenizer.unkTokenId()).hasValue(0);
        assertThat(tokenizer.padTokenId()).isEmpty();
        assertThat(tokenizer.padTokenIdOrDefault()).isEqualTo(0);
        assertThat(tokenizer.tokenText(0)).isEqualTo("<|endoftext|>");
    }

    @Test
    void encodeDecodeRoundTrips() {
        String text = "The Fulton County Grand Jury said Friday an investigation took place.";
        long[] ids = tokenizer.encode(text);
        assertThat(ids.length).isBetween(8, 30);
        assertThat(tokenizer.decode(ids, true)).isEqualTo(text);
    }

    @Test
    void rightAndLeftPaddingPlaceTheSameTokens() {
        List<String> texts = List.of("A short one.", "A rather longer sentence about the jury and the county.");
        Encodings right = tokenizer.encodeBatch(texts, 256, true, PaddingSide.RIGHT);
        Encodings left = tokenizer.encodeBatch(texts, 256, true, PaddingSide.LEFT);
        int n = tokenizer.encode(texts.get(0)).length;
        int seq = right.seqLength();
        assertThat(seq).isEqualTo(tokenizer.encode(texts.get(1)).length).isGreaterThan(n);
        for (int j = 0; j < seq; j++) {
            assertThat(right.attentionMask()[0][j]).isEqualTo(j < n ? 1 : 0);
            assertThat(left.attentionMask()[0][j]).isEqualTo(j >= seq - n ? 1 : 0);
            assertThat(right.specialTokensMask()[0][j]).isEqualTo(j < n ? 0 : 1);
        }
        for (int j = 0; j < n; j++) {
            assertThat(left.inputIds()[0][seq - n + j]).isEqualTo(right.inputIds()[0][j]);
            assertThat(left.tokens()[0][seq - n + j]).isEqualTo(right.tokens()[0][j]);
        }
        assertThat(right.inputIds()[0][seq - 1]).isEqualTo(tokenizer.padTokenIdOrDefault());
    }

    @Test
    void truncationCutsAtMaxLengthOrFailsWhenOff() {
        String text = "word ".repeat(50);
        Encodings cut = tokenizer.encodeBatch(List.of(text), 10, true, PaddingSide.RIGHT);
        assertThat(cut.seqLength()).isEqualTo(10);
        assertThatThrownBy(() -> tokenizer.encodeBatch(List.of(text), 10, false, PaddingSide.RIGHT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maximum 10");
    }

    @Test
    void emptyInputIsRefused() {
        assertThatThrownBy(() -> tokenizer.encodeBatch(List.of(), 10, true, PaddingSide.RIGHT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> tokenizer.encodeBatch(List.of("ok", ""), 10, true, PaddingSide.RIGHT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("text 1");
    }
}
