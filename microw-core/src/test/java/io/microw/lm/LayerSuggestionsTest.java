package io.microw.lm;

import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An unknown layer name is answered with the names the user most likely meant. */
class LayerSuggestionsTest {

    private static Fixture fixture;
    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        fixture = Fixture.open("gpt2");
        lm = LanguageModel.load(fixture.modelDir());
    }

    @AfterAll
    static void close() {
        lm.close();
        fixture.close();
    }

    @Test
    void shortMisspeltNameSuggestsFullNamesEndingLikeIt() {
        assertThatThrownBy(() -> lm.layers().resolve("c_atn"))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("'c_atn'")
                .hasMessageContaining("transformer.h.0.attn.c_attn");
    }

    @Test
    void misspeltAliasSuggestsTheAlias() {
        assertThatThrownBy(() -> lm.layers().resolve("blocks.1.hook_resid_pst"))
                .isInstanceOf(UnknownLayerException.class)
                .hasMessageContaining("blocks.1.hook_resid_post");
    }
}
