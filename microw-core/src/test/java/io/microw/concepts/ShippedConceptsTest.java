package io.microw.concepts;

import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ConceptDictionary#besideSae} and {@link ConceptDictionary#ofPretrained} for SAEs not loaded by release. */
class ShippedConceptsTest {

    @TempDir
    Path folder;

    @Test
    void anSaeFolderHasADictionaryOnlyWhenItHoldsAFittingConceptsJson() throws Exception {
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 8, 16, 2), 1)) {
            sae.save(folder);
            assertThat(ConceptDictionary.ofPretrained(sae)).as("not loaded by release").isEmpty();
            assertThat(ConceptDictionary.besideSae(folder, 16)).isEmpty();
            ConceptDictionary d = ConceptDictionary.forLatents(16);
            d.set(3, "numbers", "", 0.7);
            d.save(folder.resolve(ConceptDictionary.FILE_NAME));
            assertThat(ConceptDictionary.besideSae(folder, 16).orElseThrow().concepts()).isEqualTo(d.concepts());
            assertThatThrownBy(() -> ConceptDictionary.besideSae(folder, 32))
                    .hasMessageContaining(ConceptDictionary.FILE_NAME).hasMessageContaining("32");
            Files.writeString(folder.resolve(ConceptDictionary.FILE_NAME), "[1, 2]");
            assertThatThrownBy(() -> ConceptDictionary.besideSae(folder, 16))
                    .hasMessageContaining(ConceptDictionary.FILE_NAME);
        }
    }
}
