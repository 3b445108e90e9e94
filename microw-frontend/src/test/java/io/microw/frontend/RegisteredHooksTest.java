package io.microw.frontend;

import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.lm.UnknownLayerException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The one check and registration of hooks, on brown-gpt2: what gets registered, and each refusal, which names the
 * hook refused and leaves nothing registered.
 */
class RegisteredHooksTest {

    static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
    }

    @AfterAll
    static void close() {
        if (lm != null) {
            lm.close();
        }
    }

    @Test
    void controllersAndCapturesAreRegisteredUnderCanonicalNamesAndUnregisteredOnClose() {
        List<HookSpec> specs = List.of(HookSpec.capture("layer_1"), HookSpec.scale("transformer.h.2.mlp", 3),
                HookSpec.capture("transformer.h.1"), HookSpec.ablate("blocks.3.hook_resid_post"));
        try (RegisteredHooks hooks = RegisteredHooks.register(lm, specs)) {
            assertThat(hooks.captures()).containsOnlyKeys("transformer.h.1");
            assertThat(hooks.controllers()).containsExactly(HookSpec.scale("transformer.h.2.mlp", 3),
                    HookSpec.ablate(lm.layers().resolve("blocks.3.hook_resid_post")));
            assertThat(lm.layers().allHooks()).hasSize(3);
        }
        assertThat(lm.layers().allHooks()).isEmpty();
    }

    @Test
    void twoControllersOnOneLayerAreRefused() {
        HookSpec second = HookSpec.scale("layer_1", 2);
        assertThatThrownBy(() -> RegisteredHooks.register(lm, List.of(HookSpec.ablate("transformer.h.1"), second)))
                .isInstanceOf(HookSpecException.class)
                .hasMessage("layer 'transformer.h.1' has two controllers (scale or ablate); give one per layer")
                .extracting(e -> ((HookSpecException) e).spec()).isEqualTo(second);
        assertThat(lm.layers().allHooks()).isEmpty();
    }

    @Test
    void aLayerBothCapturedAndScaledIsRefused() {
        HookSpec capture = HookSpec.capture("layer_2");
        assertThatThrownBy(() -> RegisteredHooks.register(lm, List.of(capture, HookSpec.scale("transformer.h.2", 2))))
                .isInstanceOf(HookSpecException.class)
                .hasMessage("layer 'transformer.h.2' is both captured and scaled: a layer takes a detector or a "
                        + "controller, not both, so they cannot name the same layer; capture the next layer instead")
                .extracting(e -> ((HookSpecException) e).spec()).isEqualTo(capture);
        assertThat(lm.layers().allHooks()).isEmpty();
    }

    @Test
    void anUnknownLayerCarriesTheCoresRefusalAndAContainerNamesAChild() {
        HookSpec unknown = HookSpec.capture("transformer.h.9");
        assertThatThrownBy(() -> RegisteredHooks.register(lm, List.of(unknown)))
                .isInstanceOf(HookSpecException.class).hasMessageContaining("unknown layer 'transformer.h.9'")
                .hasCauseInstanceOf(UnknownLayerException.class)
                .extracting(e -> ((HookSpecException) e).spec()).isEqualTo(unknown);
        assertThatThrownBy(() -> RegisteredHooks.register(lm, List.of(HookSpec.scale("transformer.h", 2))))
                .isInstanceOf(HookSpecException.class)
                .hasMessage("layer 'transformer.h' is a container that never runs; name one of its children, e.g. "
                        + "'transformer.h.0'");
        assertThat(lm.layers().allHooks()).isEmpty();
    }
}
