package io.microw.demo;

import io.microw.io.hub.PretrainedOptions;
import io.microw.lm.LanguageModel;
import io.microw.lm.RunResult;
import io.microw.sae.PretrainedSaeInfo;
import io.microw.sae.PretrainedSaes;
import io.microw.sae.Sae;
import io.microw.sae.SaeRelease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** brown-gpt2's own SAE, registered as the embedded release {@code brown-gpt2-res}: loaded with no network. */
class BrownSaeReleaseTest {

    @TempDir
    Path tmp;

    @Test
    void theEmbeddedReleaseLoadsOfflineFromTheJarIntoMicrowHome() throws URISyntaxException {
        PretrainedOptions options = PretrainedOptions.defaults()
                .withEnvironment(Map.of("MICROW_HOME", tmp.resolve("home").toString()))
                .withCacheDir(tmp.resolve("empty-hub-cache")).withOffline(true);
        Path resource = Path.of(getClass().getResource("sae-h2-topk1024/cfg.json").toURI()).getParent();
        try (Sae sae = Sae.fromPretrained(BrownGpt2.SAE_RELEASE, BrownGpt2.SAE_ID, options);
             Sae direct = Sae.load(resource);
             LanguageModel lm = BrownGpt2.load()) {
            assertThat(sae.dIn()).isEqualTo(256);
            assertThat(sae.dSae()).isEqualTo(1024);
            assertThat(sae.parameter("W_dec")).containsExactly(direct.parameter("W_dec"));
            PretrainedSaeInfo info = sae.pretrained().orElseThrow();
            assertThat(info.release()).isEqualTo("brown-gpt2-res");
            assertThat(info.modelName()).isEqualTo(BrownGpt2.NAME);
            assertThat(info.folder()).startsWith(tmp.resolve("home/saes/brown-gpt2-res"));
            assertThat(Files.isRegularFile(info.folder().resolve("sae_weights.safetensors"))).isTrue();
            // the release's id names a hook that carries the same values as the layer the SAE's config records
            assertThat(info.hookName()).isEqualTo("transformer.h.2");
            try (RunResult run = lm.inference().runWithCache(new long[][] {{5, 6, 7, 8}}, null, BrownGpt2.SAE_ID,
                    info.hookName())) {
                assertThat(run.cache().get(BrownGpt2.SAE_ID).toFloatArray())
                        .containsExactly(run.cache().get(info.hookName()).toFloatArray());
            }
        }
        assertThat(tmp.resolve("empty-hub-cache")).doesNotExist();
    }

    @Test
    void theEmbeddedReleaseIsListedForTheDemoModel() {
        assertThat(PretrainedSaes.defaults().releasesFor(BrownGpt2.NAME)).extracting(SaeRelease::name)
                .containsExactly(BrownGpt2.SAE_RELEASE);
        assertThat(PretrainedSaes.defaults().release(BrownGpt2.SAE_RELEASE).embedded()).isTrue();
    }
}
