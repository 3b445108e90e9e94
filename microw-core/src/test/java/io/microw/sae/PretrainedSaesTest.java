package io.microw.sae;

import io.microw.io.hub.FakeHub;
import io.microw.io.hub.HubException;
import io.microw.io.hub.PretrainedOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Loading SAEs by release from a 127.0.0.1 Hub: a repo laid out like {@code google/gemma-scope-2b-pt-res} (through
 * the bundled SAELens registry) and a SAELens-format release (through a registry file given by path).
 */
class PretrainedSaesTest {

    private static final String GEMMA_RELEASE = "gemma-scope-2b-pt-res";
    private static final String GEMMA_ID = "layer_12/width_16k/average_l0_82";
    private static final String SAELENS_REPO = "microw-test/gpt2-saes";
    private static final float[] SPARSITY = {-1f, -2f, -3f, -4f, -5f, -6f, -7f, -8f, -9f, -10f, -2.5f, -1.5f};

    @TempDir
    Path tmp;

    private FakeHub hub;
    private Path cache;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        cache = tmp.resolve("hub");
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** Options that never touch the real environment or HOME: a temp cache, the fake Hub, an empty environment. */
    private PretrainedOptions options() {
        return PretrainedOptions.defaults().withEnvironment(Map.of("HF_HOME", tmp.resolve("hf-home").toString()))
                .withCacheDir(cache).withEndpoint(hub.endpoint());
    }

    private List<String> gets() {
        return hub.requests().stream().filter(r -> r.method().equals("GET")).map(FakeHub.Request::file).toList();
    }

    @Test
    void gemmaScopeReleaseDownloadsOnlyTheOneParamsFileThenWorksOffline() {
        byte[] params = "npz bytes of one SAE".getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> repo = new LinkedHashMap<>();
        repo.put("layer_12/width_16k/average_l0_22/params.npz", "another SAE".getBytes(StandardCharsets.UTF_8));
        repo.put(GEMMA_ID + "/params.npz", params);
        repo.put("layer_13/width_16k/average_l0_82/params.npz", "a third SAE".getBytes(StandardCharsets.UTF_8));
        repo.put("README.md", "# Gemma Scope".getBytes(StandardCharsets.UTF_8));
        hub.serve("google/gemma-scope-2b-pt-res", repo);

        List<String> progress = new ArrayList<>();
        Path folder = PretrainedSaes.defaults().download(GEMMA_RELEASE, GEMMA_ID,
                options().withProgress((file, done, total) -> progress.add(file + ":" + done + "/" + total)));

        assertThat(gets()).containsExactly(GEMMA_ID + "/params.npz");
        assertThat(progress).last().isEqualTo(GEMMA_ID + "/params.npz:" + params.length + "/" + params.length);
        assertThat(folder).isEqualTo(cache.resolve("models--google--gemma-scope-2b-pt-res/snapshots")
                .resolve(FakeHub.COMMIT).resolve(GEMMA_ID));
        assertThat(folder.resolve("params.npz")).hasBinaryContent(params);

        hub.clearRequests();
        Path offline = PretrainedSaes.defaults().download(GEMMA_RELEASE, GEMMA_ID, options().withOffline(true));
        assertThat(offline).isEqualTo(folder);
        assertThat(hub.requests()).isEmpty();
    }

    /** End to end: the release's real Gemma Scope file (the numpy-written fixture) is downloaded and read as JumpReLU. */
    @Test
    void gemmaScopeReleaseLoadsAsTheFormatDefinesIt() throws Exception {
        Path fixture = PublishedSaeFormatsTest.resource("gemma-scope/layer_3/width_64/average_l0_7/params.npz");
        hub.serve("google/gemma-scope-2b-pt-res", Map.of(GEMMA_ID + "/params.npz", Files.readAllBytes(fixture)));
        try (Sae sae = Sae.fromPretrained(GEMMA_RELEASE, GEMMA_ID, options())) {
            assertThat(sae.dIn()).isEqualTo(16);
            assertThat(sae.dSae()).isEqualTo(64);
            assertThat(sae.config().hookName()).isEqualTo("blocks.12.hook_resid_post");
            assertThat(sae.pretrained()).get().extracting(PretrainedSaeInfo::release).isEqualTo(GEMMA_RELEASE);
            PublishedSaeFormatsTest.assertMatchesExpected(sae, PublishedSaeFormatsTest.resource(
                    "gemma-scope/expected.safetensors"));
        }
    }

    @Test
    void gemmaScopeIdNotInTheRegistryIsRefusedWithTheClosestIds() {
        assertThatThrownBy(() -> Sae.fromPretrained(GEMMA_RELEASE, "layer_12/width_16k/average_l0_83", options()))
                .isInstanceOf(SaeException.class)
                .hasMessageContaining("'layer_12/width_16k/average_l0_83'")
                .hasMessageContaining("'" + GEMMA_RELEASE + "'")
                .hasMessageContaining("closest: [layer_12/width_16k/average_l0_82");
        assertThatThrownBy(() -> Sae.fromPretrained("gemma-scope-2b-pt-rez", GEMMA_ID, options()))
                .isInstanceOf(SaeException.class)
                .hasMessageContaining("release 'gemma-scope-2b-pt-rez' is not in the SAE registry")
                .hasMessageContaining("closest: [gemma-scope-2b-pt-res");
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void saeLensReleaseDownloadsExactlyItsFilesLoadsWithMetadataThenWorksOffline() throws IOException {
        Path registry = saeLensRelease();
        PretrainedSaes saes = PretrainedSaes.read(registry);

        try (Sae original = Sae.load(tmp.resolve("made/h0"));
             Sae sae = saes.load("gpt2-test-res", "blocks.0.hook_resid_post", options())) {
            assertThat(gets()).containsExactly("saes/h0/cfg.json", "saes/h0/sae_weights.safetensors");
            assertThat(hub.requests()).extracting(FakeHub.Request::file).contains("saes/h0/sparsity.safetensors");
            assertThat(sae.parameter("W_enc")).containsExactly(original.parameter("W_enc"));
            assertThat(sae.parameter("threshold")).containsExactly(original.parameter("threshold"));
            assertThat(sae.architecture()).isEqualTo(SaeArchitecture.JUMP_RELU);

            PretrainedSaeInfo info = sae.pretrained().orElseThrow();
            assertThat(info.release()).isEqualTo("gpt2-test-res");
            assertThat(info.saeId()).isEqualTo("blocks.0.hook_resid_post");
            assertThat(info.repoId()).isEqualTo(SAELENS_REPO);
            assertThat(info.path()).isEqualTo("saes/h0");
            assertThat(info.modelName()).isEqualTo("gpt2");
            assertThat(info.hookName()).isEqualTo("blocks.0.hook_resid_pre");
            assertThat(info.neuronpediaId()).isEqualTo("gpt2-small/0-res-test");
            assertThat(info.modelFromPretrainedKwargs()).isEqualTo(Map.of("center_writing_weights", false));
            assertThat(info.folder().resolve("cfg.json")).exists();
            assertThat(sae.config().metadata()).containsEntry("neuronpedia_id", "gpt2-small/0-res-test")
                    .containsEntry("model_from_pretrained_kwargs", Map.of("center_writing_weights", false));
        }

        hub.clearRequests();
        try (Sae again = saes.load("gpt2-test-res", "blocks.0.hook_resid_post", options())) {
            assertThat(again.dSae()).isEqualTo(12);
        }
        assertThat(hub.requests()).as("complete in the cache, the absent sparsity file remembered").isEmpty();
        try (Sae offline = saes.load("gpt2-test-res", "blocks.0.hook_resid_post", options().withOffline(true))) {
            assertThat(offline.dSae()).isEqualTo(12);
        }
        assertThat(hub.requests()).isEmpty();

        PretrainedOptions cold = options().withOffline(true).withCacheDir(tmp.resolve("empty-cache"));
        assertThatThrownBy(() -> saes.load("gpt2-test-res", "blocks.0.hook_resid_post", cold))
                .isInstanceOf(HubException.class).hasMessageContaining("offline").hasMessageContaining(SAELENS_REPO);
    }

    @Test
    void expectedAverageNormalisationFoldsTheRegistryScalingFactorAsSaeLensDoes() throws IOException {
        PretrainedSaes saes = PretrainedSaes.read(saeLensRelease());
        try (Sae original = Sae.load(tmp.resolve("made/h1"));
             Sae sae = saes.load("gpt2-test-res", "blocks.1.hook_resid_post", options())) {
            // SAELens' fold_activation_norm_scaling_factor(2.5): W_enc *= 2.5, W_dec /= 2.5, b_dec /= 2.5
            float[] wEnc = original.parameter("W_enc");
            float[] wDec = original.parameter("W_dec");
            float[] bDec = original.parameter("b_dec");
            float[] gotEnc = sae.parameter("W_enc");
            float[] gotDec = sae.parameter("W_dec");
            float[] gotBDec = sae.parameter("b_dec");
            for (int i = 0; i < wEnc.length; i++) {
                assertThat(gotEnc[i]).isCloseTo(wEnc[i] * 2.5f, within(1e-6f));
                assertThat(gotDec[i]).isCloseTo(wDec[i] / 2.5f, within(1e-6f));
            }
            for (int i = 0; i < bDec.length; i++) {
                assertThat(gotBDec[i]).isCloseTo(bDec[i] / 2.5f, within(1e-6f));
            }
            assertThat(sae.parameter("b_enc")).containsExactly(original.parameter("b_enc"));
            assertThat(gets()).containsExactly("saes/h1/cfg.json", "saes/h1/sae_weights.safetensors",
                    "saes/h1/sparsity.safetensors");
            assertThat(SaeLensFormat.readSparsity(sae.pretrained().orElseThrow().folder()).orElseThrow())
                    .containsExactly(SPARSITY);
            assertThat(sae.inputScale()).isEqualTo(1f);
            assertThat(sae.config().metadata()).containsEntry("normalize_activations", "none");
            assertThat(sae.config().modelName()).isEqualTo("gpt2-small");
            assertThat(sae.pretrained().orElseThrow().hookName()).isEmpty();
            assertThat(sae.pretrained().orElseThrow().neuronpediaId()).isNull();
        }
    }

    @Test
    void saeLensIdNotInTheReleaseIsRefusedBeforeAnyRequest() throws IOException {
        PretrainedSaes saes = PretrainedSaes.read(saeLensRelease());
        assertThatThrownBy(() -> saes.load("gpt2-test-res", "blocks.0.hook_resid_post_x", options()))
                .isInstanceOf(SaeException.class)
                .hasMessageContaining("SAE id 'blocks.0.hook_resid_post_x' is not in release 'gpt2-test-res' (2 ids)")
                .hasMessageContaining("closest: [blocks.0.hook_resid_post, blocks.1.hook_resid_post]");
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void aRegistryFileGivenByPathAddsToTheEmbeddedReleasesAndListsByModel() throws IOException {
        PretrainedSaes saes = PretrainedSaes.read(saeLensRelease());
        assertThat(saes.releases()).extracting(SaeRelease::name).contains("gpt2-test-res")
                .doesNotContain(GEMMA_RELEASE);
        assertThat(saes.releasesFor("gpt2-small")).extracting(SaeRelease::name).containsExactly("gpt2-test-res");
        assertThat(PretrainedSaes.defaults().releasesFor("google/gemma-2-2b")).extracting(SaeRelease::name)
                .contains(GEMMA_RELEASE, "gemma-scope-2b-pt-mlp").doesNotContain("gpt2-small-res-jb");
        SaeRelease gemma = PretrainedSaes.defaults().release(GEMMA_RELEASE);
        assertThat(gemma.repoId()).isEqualTo("google/gemma-scope-2b-pt-res");
        assertThat(gemma.converter()).isEqualTo("gemma_2");
        assertThat(gemma.sae(GEMMA_ID).path()).isEqualTo(GEMMA_ID);
    }

    @Test
    void aConverterMicrowCannotLoadIsNamedWithTheSupportedOnes() throws IOException {
        Path registry = tmp.resolve("other.yaml");
        Files.writeString(registry, """
                transcoders:
                  conversion_func: mwhanna_transcoder
                  model: gemma-2-2b
                  repo_id: someone/transcoders
                  saes:
                  - id: layer_0
                    path: layer_0.safetensors
                """);
        assertThatThrownBy(() -> PretrainedSaes.read(registry).load("transcoders", "layer_0", options()))
                .isInstanceOf(SaeException.class)
                .hasMessageContaining("'mwhanna_transcoder'")
                .hasMessageContaining("[sae_lens, gemma_2, llama_scope, dictionary_learning_1, sparsify]");
        assertThat(hub.requests()).isEmpty();
    }

    /**
     * A registry file and a Hub repo with two SAELens-format SAEs: {@code saes/h0} (JumpReLU, no sparsity file) and
     * {@code saes/h1} (TopK with a sparsity file, whose config asks for the registry's {@code norm_scaling_factor} 2.5);
     * also a third folder and a README that must not be downloaded.
     */
    private Path saeLensRelease() throws IOException {
        SaeConfig c0 = new SaeConfig(SaeArchitecture.JUMP_RELU, 6, 12, 0, true, "gpt2", "blocks.0.hook_resid_pre", null);
        SaeConfig c1 = new SaeConfig(SaeArchitecture.TOPK, 6, 12, 3, true, "", "",
                Map.of("normalize_activations", "expected_average_only_in"));
        try (Sae h0 = Sae.create(c0, 1); Sae h1 = Sae.create(c1, 2)) {
            h0.setParameter("threshold", new float[] {.1f, .2f, .3f, .4f, .5f, .6f, .7f, .8f, .9f, 1f, 1.1f, 1.2f});
            h0.save(tmp.resolve("made/h0"));
            h1.save(tmp.resolve("made/h1"));
        }
        SaeLensFormat.writeSparsity(tmp.resolve("made/h1"), SPARSITY);
        assertThat(Files.readString(tmp.resolve("made/h1/cfg.json"))).contains("expected_average_only_in");
        Map<String, byte[]> repo = new LinkedHashMap<>();
        for (String sae : List.of("h0", "h1")) {
            try (Stream<Path> files = Files.list(tmp.resolve("made").resolve(sae))) {
                for (Path f : files.toList()) {
                    repo.put("saes/" + sae + "/" + f.getFileName(), Files.readAllBytes(f));
                }
            }
        }
        repo.put("saes/h2/cfg.json", "{}".getBytes(StandardCharsets.UTF_8));
        repo.put("README.md", "# test SAEs".getBytes(StandardCharsets.UTF_8));
        hub.serve(SAELENS_REPO, repo);
        Path registry = tmp.resolve("pretrained_saes.yaml");
        Files.writeString(registry, """
                gpt2-test-res:
                  config_overrides:
                    model_from_pretrained_kwargs:
                      center_writing_weights: false
                  conversion_func: null
                  model: gpt2-small
                  repo_id: %s
                  saes:
                  - id: blocks.0.hook_resid_post
                    neuronpedia: gpt2-small/0-res-test
                    path: saes/h0
                  - id: blocks.1.hook_resid_post
                    norm_scaling_factor: 2.5
                    path: saes/h1
                """.formatted(SAELENS_REPO));
        return registry;
    }
}
