package io.microw.analysis;

import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.testing.Fixture;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Integrated gradients and saliency given something wrong fail before any forward, with a message naming it. */
class IntegratedGradientsBadInputTest {

    private static final long[] IDS = {5, 9, 2, 7};
    private static final LogitMetric METRIC = LogitMetric.logitDiff(1, 2);

    private static LanguageModel lm;
    private RecordingDetector forwards;
    private String hookId;

    @BeforeAll
    static void load() {
        try (Fixture fixture = Fixture.open("gpt2")) {
            lm = LanguageModel.load(fixture.modelDir());
        }
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @BeforeEach
    void watchForwards() {
        forwards = new RecordingDetector("hook_embed");
        hookId = lm.layers().registerHook("hook_embed", forwards);
    }

    @AfterEach
    void noForwardRan() {
        lm.layers().unregisterHook(hookId);
        assertThat(forwards.calls).as("forwards run before the error").isZero();
    }

    @Test
    void fewerThanOneStepOrRowIsRefused() {
        assertThatThrownBy(() -> IntegratedGradients.defaults().withSteps(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 step, got 0");
        assertThatThrownBy(() -> IntegratedGradients.defaults().withRowsPerPass(-2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 row, got -2");
    }

    @Test
    void aBaselineTokenOutsideTheVocabularyIsRefused() {
        int vocab = lm.config().vocabSize();
        assertThatThrownBy(() -> IntegratedGradients.defaults().withBaselineToken(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -1");
        assertThatThrownBy(() -> IntegratedGradients.defaults().withBaselineToken(vocab).attribute(lm, IDS, METRIC))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("baseline token " + vocab + " is out of range")
                .hasMessageContaining("0.." + (vocab - 1));
    }

    @Test
    void anEmptyPromptIsRefused() {
        assertThatThrownBy(() -> IntegratedGradients.defaults().attribute(lm, new long[0], METRIC))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prompt is empty");
        assertThatThrownBy(() -> IntegratedGradients.saliency(lm, null, METRIC))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prompt is empty");
    }

    @Test
    void aMetricWithoutATensorFormIsRefused() {
        LogitMetric plain = (logits, mask) -> 0f;
        assertThatThrownBy(() -> IntegratedGradients.defaults().attribute(lm, IDS, plain))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differentiable metric")
                .hasMessageContaining("LogitMetric.differentiable");
        assertThatThrownBy(() -> IntegratedGradients.saliency(lm, IDS, LogitMetric.atLastToken(plain)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differentiable metric");
    }

    @Test
    void aMetricReadingATokenOutsideTheVocabularyIsRefused() {
        assertThatThrownBy(() -> IntegratedGradients.defaults().attribute(lm, IDS,
                LogitMetric.logitDiff(lm.config().vocabSize(), 2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
    }
}
