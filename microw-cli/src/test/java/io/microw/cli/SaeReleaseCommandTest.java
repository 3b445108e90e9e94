package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Published SAEs on the command line: {@code sae pull}, {@code sae list-releases} and {@code --sae RELEASE:ID}, with the
 * embedded release brown-gpt2-res (no network) and registry files given by {@code --registry}.
 */
class SaeReleaseCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String DEMO_SAE = "brown-gpt2-res:blocks.2.hook_resid_post";

    @TempDir
    Path dir;

    @Test
    void pullPutsTheEmbeddedSaeInAFolderThatSaeInfoReads() throws Exception {
        CliRun pull = CliRun.of("sae", "pull", "brown-gpt2-res", "blocks.2.hook_resid_post", "--json");
        assertThat(pull.exitCode()).as(pull.err()).isZero();
        JsonNode p = JSON.readTree(pull.out());
        assertThat(p.get("model").asText()).isEqualTo("brown-gpt2");
        Path folder = Path.of(p.get("folder").asText());
        assertThat(folder.resolve("cfg.json")).isRegularFile();
        assertThat(folder.resolve("sae_weights.safetensors")).isRegularFile();

        CliRun byFolder = CliRun.of("sae", "info", "--sae", folder.toString(), "--json");
        CliRun byRelease = CliRun.of("sae", "info", "--sae", DEMO_SAE, "--json");
        assertThat(byRelease.exitCode()).as(byRelease.err()).isZero();
        JsonNode i = JSON.readTree(byRelease.out());
        assertThat(i.get("release").asText()).isEqualTo("brown-gpt2-res");
        assertThat(i.get("sae_id").asText()).isEqualTo("blocks.2.hook_resid_post");
        assertThat(i.get("path").asText()).isEqualTo(folder.toString());
        assertThat(i.get("d_sae").asInt()).isEqualTo(1024);
        assertThat(i.get("parameters")).isEqualTo(JSON.readTree(byFolder.out()).get("parameters"));
    }

    @Test
    void saeReleaseIdRunsOnTheModelWhereverSaeDirDoes() throws Exception {
        Path texts = SaeCommandTest.texts(dir);
        CliRun eval = CliRun.of("sae", "eval", "--sae", DEMO_SAE, "--texts-file", texts.toString(), "--limit", "2",
                "--json");
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        assertThat(JSON.readTree(eval.out()).get("explained_variance").isNumber()).isTrue();

        CliRun steer = CliRun.of("steer", "--prompt", "The jury said", "--sae", DEMO_SAE, "--latent", "5=0", "--json");
        assertThat(steer.exitCode()).as(steer.err()).isZero();
        JsonNode s = JSON.readTree(steer.out());
        assertThat(s.path("edit").path("sae").asText()).isEqualTo(DEMO_SAE);
        assertThat(s.path("edit").path("layer").asText()).isEqualTo("transformer.h.2");

        Path exported = dir.resolve("exported");
        CliRun export = CliRun.of("sae", "export", "--sae", DEMO_SAE, "--out", exported.toString());
        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(exported.resolve("cfg.json")).isRegularFile();

        Path dict = dir.resolve("dict.json");
        CliRun name = CliRun.of("concepts", "name", "--dictionary", dict.toString(), "--sae", DEMO_SAE, "--latent",
                "1023", "--name", "last");
        assertThat(name.exitCode()).as(name.err()).isZero();
        assertThat(dict).isRegularFile();
    }

    @Test
    void unknownReleasesAndIdsAreUsageErrorsNamingTheClosest() {
        CliRun release = CliRun.of("sae", "info", "--sae", "brown-gpt2-rez:blocks.2.hook_resid_post");
        assertThat(release.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(release.err()).contains("release 'brown-gpt2-rez' is not in the SAE registry",
                "closest: [brown-gpt2-res").doesNotContain("\tat ");
        CliRun id = CliRun.of("sae", "pull", "brown-gpt2-res", "blocks.2.hook_resid_pre");
        assertThat(id.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(id.err()).contains("SAE id 'blocks.2.hook_resid_pre' is not in release 'brown-gpt2-res'",
                "closest: [blocks.2.hook_resid_post]");
        CliRun noId = CliRun.of("sae", "info", "--sae", "brown-gpt2-res:");
        assertThat(noId.exitCode()).isEqualTo(Main.EXIT_USAGE);
        assertThat(noId.err()).contains("no SAE id", "RELEASE:ID");
    }

    @Test
    void listReleasesFiltersByModelAndReadsANewerRegistryByPath() throws Exception {
        CliRun demo = CliRun.of("sae", "list-releases", "--model", "brown-gpt2");
        assertThat(demo.exitCode()).as(demo.err()).isZero();
        assertThat(demo.out().strip().lines().toList()).hasSize(1);
        assertThat(demo.out()).contains("brown-gpt2-res", "sae_lens", "classpath:io/microw/demo");

        CliRun gemma = CliRun.of("sae", "list-releases", "--model", "google/gemma-2-2b", "--json");
        assertThat(gemma.exitCode()).as(gemma.err()).isZero();
        List<String> names = new ArrayList<>();
        JsonNode scope = null;
        for (JsonNode r : JSON.readTree(gemma.out()).get("releases")) {
            names.add(r.get("release").asText());
            assertThat(r.get("model").asText()).isEqualTo("gemma-2-2b");
            scope = r.get("release").asText().equals("gemma-scope-2b-pt-res") ? r : scope;
        }
        assertThat(names).contains("gemma-scope-2b-pt-res", "gemma-scope-2b-pt-mlp");
        assertThat(scope.get("converter").asText()).isEqualTo("gemma_2");
        assertThat(scope.get("sae_ids").toString()).contains("\"layer_12/width_16k/average_l0_82\"");

        Path registry = dir.resolve("newer.yaml");
        Files.writeString(registry, """
                my-new-release:
                  model: gpt2-small
                  repo_id: someone/new-saes
                  saes:
                  - id: blocks.3.hook_resid_post
                    path: layer_3
                """);
        CliRun newer = CliRun.of("sae", "list-releases", "--registry", registry.toString(), "--json");
        assertThat(newer.exitCode()).as(newer.err()).isZero();
        List<String> newerNames = new ArrayList<>();
        JSON.readTree(newer.out()).get("releases").forEach(r -> newerNames.add(r.get("release").asText()));
        assertThat(newerNames).containsExactly("my-new-release", "brown-gpt2-res");
    }

    @Test
    void pullOfflineWithoutTheFilesInTheCacheSaysSo() throws Exception {
        Path registry = dir.resolve("offline.yaml");
        Files.writeString(registry, """
                never-downloaded:
                  model: gpt2-small
                  repo_id: microw-test/never-downloaded-saes
                  saes:
                  - id: a
                    path: a
                """);
        CliRun pull = CliRun.of("sae", "pull", "never-downloaded", "a", "--offline", "--registry", registry.toString());
        assertThat(pull.exitCode()).isEqualTo(Main.EXIT_ERROR);
        assertThat(pull.err()).contains("offline", "microw-test/never-downloaded-saes").doesNotContain("\tat ");
    }
}
