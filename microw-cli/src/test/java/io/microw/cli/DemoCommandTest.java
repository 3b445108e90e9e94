package io.microw.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest {

    @Test
    void demoShowsLayersGenerationsAndCapturedActivations() {
        CliRun run = CliRun.of("demo", "--max-new-tokens", "5");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("== Model ==", "brown-gpt2", "== Layers", "layer_1", "blocks.1",
                "== Hooks ==", "LayerActivationDetector on transformer.h.1",
                "FunctionController on transformer.h.2.mlp",
                "without the controller: \"The jury said", "with the controller:    \"The jury said",
                "shape (1, 4, 256)", "mean ", "std ", "min ", "max ");
    }

    @Test
    void defaultScaleVisiblySteersTheGreedyText() {
        CliRun run = CliRun.of("demo", "--max-new-tokens", "8");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String plain = line(run.out(), "without the controller:");
        String steered = line(run.out(), "with the controller:");
        assertThat(steered).isNotEqualTo(plain);
        assertThat(run.out()).doesNotContain("(same text");
    }

    @Test
    void scaleOneLeavesTheTextUnchanged() {
        CliRun run = CliRun.of("demo", "--max-new-tokens", "5", "--scale", "1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(line(run.out(), "with the controller:")).isEqualTo(line(run.out(), "without the controller:"));
    }

    @Test
    void unknownLayerIsAnErrorNamingTheOptionAndTheLayer() {
        CliRun run = CliRun.of("demo", "--max-new-tokens", "2", "--steer", "transformer.h.9.mlp");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).startsWith("microw: error: --steer: unknown layer 'transformer.h.9.mlp'")
                .doesNotContain("\tat ");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void detectorAndControllerOnOneLayerIsAnError() {
        CliRun run = CliRun.of("demo", "--max-new-tokens", "2", "--detect", "layer_2", "--steer", "transformer.h.2");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("detectors or controllers, not both").doesNotContain("\tat ");
    }

    @Test
    void zeroNewTokensIsUsageError() {
        CliRun run = CliRun.of("demo", "--max-new-tokens", "0");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--max-new-tokens must be at least 1");
    }

    private static String line(String text, String label) {
        return text.lines().filter(l -> l.strip().startsWith(label)).findFirst()
                .map(l -> l.substring(l.indexOf('"')))
                .orElseThrow(() -> new AssertionError("no line '" + label + "' in:\n" + text));
    }
}
