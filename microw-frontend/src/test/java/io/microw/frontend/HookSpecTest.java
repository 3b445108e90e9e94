package io.microw.frontend;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading a hook from a front end's fields: its three types, and the errors both front ends show. */
class HookSpecTest {

    @Test
    void theThreeTypesReadTheirFields() {
        assertThat(HookSpec.of("capture", "layer_1", null)).isEqualTo(new HookSpec(HookSpec.Kind.CAPTURE, "layer_1", 1));
        assertThat(HookSpec.of("scale", "layer_1", 2.5)).isEqualTo(new HookSpec(HookSpec.Kind.SCALE, "layer_1", 2.5f));
        assertThat(HookSpec.of("ablate", "layer_1", 7.0)).isEqualTo(new HookSpec(HookSpec.Kind.ABLATE, "layer_1", 0));
        assertThat(HookSpec.Kind.SCALE.isController()).isTrue();
        assertThat(HookSpec.Kind.CAPTURE.isController()).isFalse();
    }

    @Test
    void anUnknownTypeNamesItAndTheKnownOnes() {
        assertThatThrownBy(() -> HookSpec.of("boost", "layer_1", null)).isInstanceOf(HookSpecException.class)
                .hasMessage("unknown hook type 'boost'; known: capture, scale, ablate");
    }

    @Test
    void aScaleNeedsAFiniteFactor() {
        assertThatThrownBy(() -> HookSpec.of("scale", "layer_1", null)).isInstanceOf(HookSpecException.class)
                .hasMessage("a 'scale' hook needs a number 'factor'");
        assertThatThrownBy(() -> HookSpec.scale("layer_1", Float.NaN)).isInstanceOf(HookSpecException.class)
                .hasMessage("the factor of a 'scale' hook on 'layer_1' must be a finite number, got NaN");
    }
}
