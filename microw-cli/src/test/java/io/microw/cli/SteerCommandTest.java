package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.TopKSae;
import io.microw.steering.SteeringVector;
import io.microw.steering.TokenMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SteerCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    /** A random TopK SAE on brown-gpt2's transformer.h.2 (64 latents), recording its layer. */
    static Path sae;
    /** The same without a recorded layer. */
    static Path anonymousSae;
    /** A steering vector of width 256 on transformer.h.2. */
    static Path vector;

    @BeforeAll
    static void artifacts() {
        sae = dir.resolve("sae");
        try (TopKSae s = new TopKSae(SaeConfig.of(SaeArchitecture.TOPK, 256, 64, 8)
                .withSource("brown-gpt2", "transformer.h.2"), 1)) {
            s.save(sae);
        }
        anonymousSae = dir.resolve("sae-anonymous");
        try (TopKSae s = new TopKSae(64, 256, 8)) {
            s.save(anonymousSae);
        }
        vector = dir.resolve("vector.safetensors");
        float[] v = new float[256];
        Random random = new Random(7);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian(); // not constant: the next LayerNorm would remove a constant shift
        }
        new SteeringVector(v, "brown-gpt2", "transformer.h.2", 1, 1, 1, 1, TokenMode.ALL_TOKENS).save(vector);
    }

    @Test
    void saeEditsPrintBaselineAndSteeredBlocks() {
        CliRun run = CliRun.of("steer", "--prompt", "The jury said", "--max-new-tokens", "8", "--sae", sae.toString(),
                "--clamp", "3=60", "--latent", "1=4,2=0");
        assertThat(run.exitCode()).as(run.err()).isZero();
        String out = run.out();
        assertThat(out).contains("greedy", "edit: SAE " + sae + " on transformer.h.2: latent 1 x4, latent 2 x0, "
                + "latent 3 =60 (scope all)", "== baseline ==\nThe jury said", "== steered ==\nThe jury said");
        String baseline = out.substring(out.indexOf("== baseline ==") + 15, out.indexOf("== steered =="));
        String steered = out.substring(out.indexOf("== steered ==") + 14);
        assertThat(steered.strip()).isNotEqualTo(baseline.strip());
    }

    @Test
    void jsonHasBothContinuationsAndTheEdit() throws Exception {
        CliRun run = CliRun.of("steer", "--prompt", "The jury said", "--max-new-tokens", "6", "--sae",
                anonymousSae.toString(), "--layer", "layer_2", "--add", "5=30", "--scope", "generated", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode n = JSON.readTree(run.out());
        assertThat(n.path("prompt").asText()).isEqualTo("The jury said");
        assertThat(n.path("scope").asText()).isEqualTo("generated");
        assertThat(n.path("edit").path("kind").asText()).isEqualTo("sae");
        assertThat(n.path("edit").path("layer").asText()).isEqualTo("transformer.h.2");
        assertThat(n.path("edit").path("add").get(0).path("latent").asInt()).isEqualTo(5);
        assertThat(n.path("baseline").path("text").asText()).startsWith("The jury said");
        assertThat(n.path("steered").path("text").asText()).startsWith("The jury said");
        assertThat(n.path("changed").isBoolean()).isTrue();
    }

    @Test
    void steeringVectorSteers() throws Exception {
        CliRun run = CliRun.of("steer", "--prompt", "The jury said", "--max-new-tokens", "8", "--vector",
                vector.toString(), "--coefficient", "40", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode n = JSON.readTree(run.out());
        assertThat(n.path("edit").path("kind").asText()).isEqualTo("vector");
        assertThat(n.path("edit").path("coefficient").asDouble()).isEqualTo(40.0);
        assertThat(n.path("changed").asBoolean()).isTrue();

        CliRun zero = CliRun.of("steer", "--prompt", "The jury said", "--max-new-tokens", "5", "--vector",
                vector.toString(), "--coefficient", "0");
        assertThat(zero.exitCode()).as(zero.err()).isZero();
        assertThat(zero.out()).contains("steering vector " + vector + " on transformer.h.2 x 0", "(same text");
    }

    @Test
    void usageErrorsExitWithOne() {
        CliRun none = CliRun.of("steer", "--prompt", "x");
        assertThat(none.exitCode()).isEqualTo(1);
        assertThat(none.err()).contains("--sae", "--vector");

        CliRun both = CliRun.of("steer", "--prompt", "x", "--sae", sae.toString(), "--latent", "1=2", "--vector",
                vector.toString(), "--coefficient", "1");
        assertThat(both.exitCode()).isEqualTo(1);
        assertThat(both.err()).contains("mutually exclusive");

        CliRun noCoefficient = CliRun.of("steer", "--prompt", "x", "--vector", vector.toString());
        assertThat(noCoefficient.exitCode()).isEqualTo(1);
        assertThat(noCoefficient.err()).contains("--coefficient");

        CliRun noPrompt = CliRun.of("steer", "--sae", sae.toString(), "--latent", "1=2");
        assertThat(noPrompt.exitCode()).isEqualTo(1);
        assertThat(noPrompt.err()).contains("--prompt");

        CliRun noEdit = CliRun.of("steer", "--prompt", "x", "--sae", sae.toString());
        assertThat(noEdit.exitCode()).isEqualTo(1);
        assertThat(noEdit.err()).contains("at least one edit");

        CliRun badLatent = CliRun.of("steer", "--prompt", "x", "--sae", sae.toString(), "--latent", "1:2");
        assertThat(badLatent.exitCode()).isEqualTo(1);
        assertThat(badLatent.err()).contains("LATENT=VALUE");

        CliRun outOfRange = CliRun.of("steer", "--prompt", "x", "--sae", sae.toString(), "--clamp", "64=1");
        assertThat(outOfRange.exitCode()).isEqualTo(1);
        assertThat(outOfRange.err()).contains("out of range", "0..63");

        CliRun unknownLayer = CliRun.of("steer", "--prompt", "x", "--sae", sae.toString(), "--layer", "transformer.h.8",
                "--latent", "1=2");
        assertThat(unknownLayer.exitCode()).isEqualTo(1);
        assertThat(unknownLayer.err()).contains("--layer", "unknown layer 'transformer.h.8'");

        CliRun noLayer = CliRun.of("steer", "--prompt", "x", "--sae", anonymousSae.toString(), "--latent", "1=2");
        assertThat(noLayer.exitCode()).isEqualTo(1);
        assertThat(noLayer.err()).contains("--layer is required");

        CliRun scope = CliRun.of("steer", "--prompt", "x", "--sae", sae.toString(), "--latent", "1=2", "--scope", "most");
        assertThat(scope.exitCode()).isEqualTo(1);
        assertThat(scope.err()).contains("unknown --scope 'most'");
    }

    @Test
    void runtimeFailuresExitWithTwo() {
        CliRun missing = CliRun.of("steer", "--prompt", "x", "--sae", dir.resolve("no-sae").toString(), "--latent", "1=2");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err().strip()).startsWith("microw: error:").contains("no-sae");

        CliRun wrongWidth = CliRun.of("steer", "--prompt", "x", "--sae", sae.toString(), "--layer",
                "transformer.h.0.mlp.c_fc", "--latent", "1=2");
        assertThat(wrongWidth.exitCode()).isEqualTo(2);
        assertThat(wrongWidth.err()).contains("microw: error:");
    }

    @Test
    void helpHasExamples() {
        CliRun help = CliRun.of("steer", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("Usage: microw steer", "Examples:", "--sae", "--vector", "--scope");
    }
}
