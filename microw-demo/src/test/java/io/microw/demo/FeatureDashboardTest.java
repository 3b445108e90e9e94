package io.microw.demo;

import ai.djl.ndarray.NDManager;
import io.microw.concepts.FeatureDashboard;
import io.microw.concepts.SaeHook;
import io.microw.lm.LanguageModel;
import io.microw.nn.Linear;
import io.microw.sae.SaeException;
import io.microw.sae.TopKSae;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FeatureDashboardTest {

    @Test
    void oneOfflineHtmlFileWithContextsHistogramAndLogitEffects(@TempDir Path dir) throws Exception {
        try (LanguageModel lm = BrownGpt2.load(); TopKSae sae = new TopKSae(64, lm.config().hiddenSize(), 8, 2)) {
            SaeHook hook = SaeHook.attach(lm, sae, "layer_2");
            hook.concepts().enableTextTracking(3, 2, 4);
            lm.inference().executeInference(List.of("The committee said the <plan> was \"good\" & fair",
                    "He went home early")).close();
            NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
            int arraysBefore = modelManager.getManagedArrays().size();
            int latent = -1;
            for (int l = 0; l < 64 && latent < 0; l++) {
                if (!hook.concepts().topTexts(l).isEmpty()) {
                    latent = l;
                }
            }
            Path file = dir.resolve("dashboard.html");
            new FeatureDashboard(sae, hook.concepts().tracker(), lm, Map.of(latent, "test <concept>"))
                    .write(List.of(latent), file);
            String html = Files.readString(file);
            assertThat(html).startsWith("<!DOCTYPE html>").contains("Latent " + latent + ": test &lt;concept&gt;")
                    .contains("Promotes:").contains("Suppresses:").contains("<svg").contains("Top contexts")
                    .contains("Weakest firings").contains("class=\"tok\"");
            assertThat(html).doesNotContain("<script").doesNotContain("http://").doesNotContain("https://");
            assertThat(html).doesNotContain("<plan>");
            assertThat(modelManager.getManagedArrays().size()).as("no arrays left in the model's manager")
                    .isEqualTo(arraysBefore);
            assertThatThrownBy(() -> new FeatureDashboard(sae, hook.concepts().tracker(), lm, Map.of())
                    .write(List.of(64), dir.resolve("x.html")))
                    .isInstanceOf(SaeException.class).hasMessageContaining("latent index 64");
        }
    }
}
