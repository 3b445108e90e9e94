package io.microw.sae;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SaeArchitectureRegistryTest {

    @Test
    void theRegistryListsTheBuiltInsFirstAndFindsThemByNameOrAlias() {
        assertThat(SaeArchitectures.all()).startsWith(SaeArchitecture.STANDARD, SaeArchitecture.TOPK,
                SaeArchitecture.BATCH_TOPK, SaeArchitecture.JUMP_RELU, SaeArchitecture.GATED);
        assertThat(SaeArchitecture.fromSaeLensName("TopK")).isSameAs(SaeArchitecture.TOPK);
        assertThat(SaeArchitectures.get("batch_topk")).isSameAs(SaeArchitecture.BATCH_TOPK);
        assertThat(SaeArchitectures.get("Jump-ReLU")).isSameAs(SaeArchitecture.JUMP_RELU);
        assertThat(SaeArchitectures.get("l1")).isSameAs(SaeArchitecture.STANDARD);
        assertThat(SaeArchitectures.find("dense")).isEmpty();
        assertThatThrownBy(() -> SaeArchitectures.get("dense")).isInstanceOf(SaeException.class)
                .hasMessageContaining("'dense'").hasMessageContaining("standard, topk, batchtopk, jumprelu, gated");
    }

    @Test
    void onlyArchitecturesWithATrainingRuleAreTrainable() {
        assertThat(SaeArchitectures.trainable()).contains(SaeArchitecture.STANDARD, SaeArchitecture.TOPK,
                SaeArchitecture.BATCH_TOPK, SaeArchitecture.JUMP_RELU).doesNotContain(SaeArchitecture.GATED);
        assertThatThrownBy(() -> SaeArchitectures.requireTrainable("gated")).isInstanceOf(SaeException.class)
                .hasMessageContaining("gated SAEs can be loaded and run but not trained")
                .hasMessageContaining("topk");
    }

    @Test
    void eachArchitectureDescribesItsParametersKAndSavedForm() {
        SaeConfig jump = SaeConfig.of(SaeArchitecture.JUMP_RELU, 3, 5, 0);
        Map<String, long[]> shapes = SaeArchitecture.JUMP_RELU.parameterShapes(jump);
        assertThat(shapes.keySet()).containsExactly("W_enc", "b_enc", "W_dec", "b_dec", "threshold");
        assertThat(shapes.get("W_enc")).containsExactly(3, 5);
        assertThat(SaeArchitecture.GATED.parameterShapes(SaeConfig.of(SaeArchitecture.GATED, 3, 5, 0)).keySet())
                .containsExactly("W_enc", "W_dec", "b_dec", "b_gate", "b_mag", "r_mag");
        assertThat(SaeArchitectures.all().stream().filter(SaeArchitecture::usesK))
                .contains(SaeArchitecture.TOPK, SaeArchitecture.BATCH_TOPK)
                .doesNotContain(SaeArchitecture.STANDARD, SaeArchitecture.JUMP_RELU, SaeArchitecture.GATED);
        assertThat(SaeArchitecture.BATCH_TOPK.savedAs()).isSameAs(SaeArchitecture.JUMP_RELU);
        assertThat(SaeArchitecture.TOPK.savedAs()).isSameAs(SaeArchitecture.TOPK);
        assertThat(SaeInit.initialParameters(jump, 1, 1.0).get("threshold"))
                .containsOnly(SaeInit.JUMP_RELU_INITIAL_THRESHOLD);
        assertThat(SaeInit.initialParameters(SaeConfig.of(SaeArchitecture.BATCH_TOPK, 3, 5, 2), 1, 1.0)
                .get("threshold")).containsOnly(0f);
    }
}
