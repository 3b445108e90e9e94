package io.microw.lm;

import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A layer's width is found by a one-token run even when the config's BOS token lies outside the vocabulary. */
class LayerOutputShapeTest {

    @Test
    void aBosTokenOutsideTheVocabularyFallsBackToTokenZero() {
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            assertThat(lm.config().bosTokenId()).as("the tiny GPT-2's BOS").hasValue(50256);
            assertThat(lm.config().vocabSize()).isEqualTo(1000);
            assertThat(lm.inference().layerOutputShape("blocks.1.hook_resid_post")).containsExactly(1, 1, 64);
        }
    }
}
