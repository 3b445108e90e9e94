package io.microw.sae;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing SAELens' pretrained_saes.yaml layout, safely. */
class SaeRegistryYamlTest {

    @Test
    void readsReleasesWithTheirSaesOverridesAndConverter() {
        Map<String, SaeRelease> releases = SaeRegistryYaml.parse(new StringReader("""
                r1:
                  conversion_func: gemma_2
                  model: gemma-2-2b
                  repo_id: google/gemma-scope-2b-pt-res
                  links: {model: https://huggingface.co/google/gemma-2-2b}
                  saes:
                  - id: layer_0/width_16k/canonical
                    path: layer_0/width_16k/average_l0_105
                    neuronpedia: gemma-2-2b/0-gemmascope-res-16k
                    l0: 105
                r2:
                  config_overrides:
                    model_from_pretrained_kwargs: {center_writing_weights: false}
                  conversion_func: null
                  model: gpt2-small
                  repo_id: jbloom/x
                  saes:
                  - {id: a, path: p/a, norm_scaling_factor: 1.5}
                """), "test.yaml");
        assertThat(releases.keySet()).containsExactly("r1", "r2");
        SaeRelease r1 = releases.get("r1");
        assertThat(r1.converter()).isEqualTo("gemma_2");
        assertThat(r1.saes()).containsExactly(new SaeRelease.Entry("layer_0/width_16k/canonical",
                "layer_0/width_16k/average_l0_105", "gemma-2-2b/0-gemmascope-res-16k", null));
        SaeRelease r2 = releases.get("r2");
        assertThat(r2.converter()).isEqualTo(SaeRelease.SAE_LENS);
        assertThat(r2.configOverrides()).isEqualTo(Map.of("model_from_pretrained_kwargs",
                Map.of("center_writing_weights", false)));
        assertThat(r2.sae("a").normScalingFactor()).isEqualTo(1.5);
        assertThat(r2.embedded()).isFalse();
    }

    @Test
    void aTagThatWouldBuildAnObjectIsRefused() {
        assertThatThrownBy(() -> SaeRegistryYaml.parse(new StringReader(
                "r: !!java.io.File [\"/tmp\"]\n"), "evil.yaml"))
                .isInstanceOf(SaeException.class).hasMessageContaining("evil.yaml").hasMessageContaining("not valid YAML");
    }

    @Test
    void aReleaseWithoutSaesOrPathsNamesTheReleaseAndTheFile() {
        assertThatThrownBy(() -> SaeRegistryYaml.parse(new StringReader("r:\n  repo_id: a/b\n"), "bad.yaml"))
                .isInstanceOf(SaeException.class)
                .hasMessageContaining("release 'r' of the SAE registry bad.yaml needs a list 'saes'");
        assertThatThrownBy(() -> SaeRegistryYaml.parse(new StringReader(
                "r:\n  repo_id: a/b\n  saes:\n  - id: x\n"), "bad.yaml"))
                .isInstanceOf(SaeException.class).hasMessageContaining("SAE 'x' has no 'path'");
    }
}
