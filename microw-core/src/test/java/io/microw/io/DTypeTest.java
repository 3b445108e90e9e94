package io.microw.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DTypeTest {

    @Test
    void sizesNamesAndKinds() {
        assertThat(DType.F32.byteSize()).isEqualTo(4);
        assertThat(DType.F16.byteSize()).isEqualTo(2);
        assertThat(DType.BF16.byteSize()).isEqualTo(2);
        assertThat(DType.F64.byteSize()).isEqualTo(8);
        assertThat(DType.I64.byteSize()).isEqualTo(8);
        assertThat(DType.I32.byteSize()).isEqualTo(4);
        assertThat(DType.I8.byteSize()).isEqualTo(1);
        assertThat(DType.U8.byteSize()).isEqualTo(1);
        assertThat(DType.BOOL.byteSize()).isEqualTo(1);
        assertThat(DType.BF16.safetensorsName()).isEqualTo("BF16");
        assertThat(DType.F16.isFloating()).isTrue();
        assertThat(DType.I64.isFloating()).isFalse();
        assertThat(DType.BOOL.isFloating()).isFalse();
    }

    @Test
    void fromSafetensorsNameRoundTrips() {
        for (DType d : DType.values()) {
            assertThat(DType.fromSafetensorsName(d.safetensorsName())).isEqualTo(d);
        }
    }

    @Test
    void unknownNameListsKnownOnes() {
        assertThatThrownBy(() -> DType.fromSafetensorsName("F8_E4M3"))
                .isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("'F8_E4M3'")
                .hasMessageContaining("BF16")
                .hasMessageContaining("BOOL");
    }
}
