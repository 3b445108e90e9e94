package io.microw.docs;

import io.microw.sae.PretrainedSaeInfo;
import io.microw.sae.PretrainedSaes;
import io.microw.sae.Sae;
import io.microw.sae.SaeRelease;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The snippet of docs/training-saes.md on published SAEs, compiled and run (the embedded release: no network). */
class PublishedSaesSnippetsTest {

    @Test
    void loadByRelease() {
        String hook;
        int latents;
        List<SaeRelease> forGpt2;
        // snippet:sae.pretrained
        try (Sae sae = Sae.fromPretrained("brown-gpt2-res", "blocks.2.hook_resid_post")) {   // embedded: no network
            PretrainedSaeInfo info = sae.pretrained().orElseThrow();
            System.out.println(info.modelName() + " " + info.hookName() + " " + info.folder());
            hook = info.hookName();
            latents = sae.dSae();
        }
        forGpt2 = PretrainedSaes.defaults().releasesFor("gpt2-small");   // SAELens' registry, by model
        // end-snippet
        assertThat(hook).isEqualTo("transformer.h.2");
        assertThat(latents).isEqualTo(1024);
        assertThat(forGpt2).extracting(SaeRelease::name).contains("gpt2-small-res-jb");
    }
}
