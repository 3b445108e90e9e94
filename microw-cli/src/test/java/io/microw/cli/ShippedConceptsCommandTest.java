package io.microw.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.concepts.ConceptDictionary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The concept dictionary shipped with brown-gpt2-res comes with {@code --sae RELEASE:ID}: sae info counts it, the dashboard names latents by it. */
class ShippedConceptsCommandTest {

    static final String DEMO_SAE = SaeReleaseCommandTest.DEMO_SAE;

    @TempDir
    Path dir;

    /** The shipped dictionary, copied out of the demo jar (or classes folder) it lives in. */
    static ConceptDictionary shipped(Path dir) throws Exception {
        Path copy = dir.resolve("shipped-" + ConceptDictionary.FILE_NAME);
        try (InputStream in = ShippedConceptsCommandTest.class
                .getResourceAsStream("/io/microw/demo/sae-h2-topk1024/" + ConceptDictionary.FILE_NAME)) {
            assertThat(in).as("the shipped concepts.json resource").isNotNull();
            Files.copy(in, copy);
        }
        return ConceptDictionary.load(copy);
    }

    @Test
    void saeInfoCountsTheShippedNamesAndTheDashboardUsesThemWithoutADictionary() throws Exception {
        ConceptDictionary shipped = shipped(dir);
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
