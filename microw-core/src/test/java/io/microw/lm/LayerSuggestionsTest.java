package io.microw.lm;

import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An unknown layer name is answered with the names the user most likely meant; an index out of range says so. */
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

    @Test
    void anIndexOutOfRangeNamesTheIndexAndTheHookPoints() {
        int n = lm.layers().names().size();
        String range = "the model has " + n + " hook points (0.." + (n - 1) + ")";
        for (String index : new String[] {"999", "-1", String.valueOf(n), "99999999999999999999999999999"}) {
            assertThatThrownBy(() -> lm.layers().resolve(index))
                    .isInstanceOf(UnknownLayerException.class)
                    .hasMessage("layer index " + index + " is out of range: " + range);
        }
    }
}
