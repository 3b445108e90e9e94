package io.microw.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.concepts.ConceptDictionary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The concept dictionary shipped with brown-gpt2-res comes with {@code --sae RELEASE:ID}: sae info counts it, the dashboard names latents by it. */
class ShippedConceptsCommandTest {

    static final String DEMO_SAE = SaeReleaseCommandTest.DEMO_SAE;

    @TempDir
    Path dir;

    static ConceptDictionary shipped() throws Exception {
        return ConceptDictionary.load(Path.of(ShippedConceptsCommandTest.class
                .getResource("/io/microw/demo/sae-h2-topk1024/" + ConceptDictionary.FILE_NAME).toURI()));
    }

    @Test
    void saeInfoCountsTheShippedNamesAndTheDashboardUsesThemWithoutADictionary() throws Exception {
        ConceptDictionary shipped = shipped();
        CliRun info = CliRun.of("sae", "info", "--sae", DEMO_SAE, "--json");
        assertThat(info.exitCode()).as(info.err()).isZero();
        assertThat(new ObjectMapper().readTree(info.out()).path("concepts").asInt()).isEqualTo(shipped.size());

        ConceptDictionary.Concept named = shipped.concepts().get(0);
        Path html = dir.resolve("dash.html");
        CliRun dash = CliRun.of("concepts", "dashboard", "--sae", DEMO_SAE, "--texts-file",
                SaeCommandTest.texts(dir).toString(), "--latents", String.valueOf(named.latent()), "--out",
                html.toString());
        assertThat(dash.exitCode()).as(dash.err()).isZero();
        assertThat(Files.readString(html)).contains(named.name());
    }
}
