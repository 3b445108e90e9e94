package io.microw.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.microw.concepts.ConceptDictionary;
import io.microw.concepts.ConceptException;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.lm.UnknownLayerException;
import io.microw.sae.SaeException;
import io.microw.sae.TopKSae;
import io.microw.testing.Fixture;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SAE feature attribution given something wrong fails before any forward, with a message naming it. */
class SaeFeatureAttributionBadInputTest {

    private static final long[][] IDS = {{5, 9, 2, 7}};
    private static final LogitMetric METRIC = LogitMetric.logitDiff(1, 2);
    private static final String LAYER = "blocks.0.hook_resid_post";

    private static LanguageModel lm;
    private static TopKSae sae;
    private RecordingDetector forwards;
    private String hookId;

    @BeforeAll
    static void load() {
        try (Fixture fixture = Fixture.open("gpt2")) {
            lm = LanguageModel.load(fixture.modelDir());
        }
        sae = new TopKSae(32, lm.config().hiddenSize(), 4);
    }

    @AfterAll
    static void close() {
        sae.close();
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
    void anSaeOfAnotherWidthIsRefused() {
        try (TopKSae narrow = new TopKSae(32, 48, 4)) {
            assertThatThrownBy(() -> SaeFeatureAttribution.of(narrow, LAYER).attribute(lm, IDS, null, METRIC))
                    .isInstanceOf(SaeException.class).hasMessageContaining("d_in=48")
                    .hasMessageContaining("transformer.h.0.hook_resid_post").hasMessageContaining("width 64");
        }
    }

    @Test
    void anUnknownLayerIsRefused() {
        assertThatThrownBy(() -> SaeFeatureAttribution.of(sae, "blocks.7.hook_resid_post").attribute(lm, IDS, null,
                METRIC)).isInstanceOf(UnknownLayerException.class).hasMessageContaining("blocks.7.hook_resid_post");
    }

    @Test
    void aLayerWithoutOneVectorPerTokenIsRefused() {
        // hook_z is [batch, seq, heads, head_dim]: an SAE of head_dim inputs fits its width but not its rank
        try (TopKSae perHead = new TopKSae(32, 16, 4)) {
            assertThatThrownBy(() -> SaeFeatureAttribution.of(perHead, "blocks.0.attn.hook_z").attribute(lm, IDS,
                    null, METRIC)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blocks.0.attn.hook_z").hasMessageContaining("[batch, seq, d]");
        }
    }

    @Test
    void aMetricThatIsNotASingleNumberIsRefused() {
        LogitMetric perRow = new LogitMetric() {
            @Override
            public float apply(NDArray logits, long[][] attentionMask) {
                return 0f;
            }

            @Override
            public NDArray tensor(NDArray logits, long[][] attentionMask) {
                return logits.get(new NDIndex(":, -1, 1"));
            }
        };
        long[][] twoRows = {IDS[0], IDS[0]};
        assertThatThrownBy(() -> SaeFeatureAttribution.of(sae, LAYER).attribute(lm, twoRows, null, perRow))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("single number")
                .hasMessageContaining("(2)");
    }

    @Test
    void aMetricWithoutATensorFormIsRefused() {
        LogitMetric plain = (logits, mask) -> 0f;
        assertThatThrownBy(() -> SaeFeatureAttribution.of(sae, LAYER).attribute(lm, IDS, null, plain))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differentiable metric");
    }

    @Test
    void noTokensAreRefused() {
        assertThatThrownBy(() -> SaeFeatureAttribution.of(sae, LAYER).attribute(lm, new long[0][], null, METRIC))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no tokens to attribute");
    }

    @Test
    void aDictionaryForAnotherSaeIsRefused() {
        assertThatThrownBy(() -> SaeFeatureAttribution.of(sae, LAYER).withConcepts(ConceptDictionary.forLatents(50)))
                .isInstanceOf(ConceptException.class).hasMessageContaining("50 latents")
                .hasMessageContaining("32 latents");
    }
}
