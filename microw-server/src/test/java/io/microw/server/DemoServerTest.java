package io.microw.server;

import io.microw.demo.BrownGpt2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of tests that need one server for the whole class on a temporary data directory, with brown-gpt2 loaded and
 * the demo's layer-2 TopK SAE (copied to {@code saes/h2} in the data directory) loaded for it.
 */
abstract class DemoServerTest {

    /** The loaded model's route prefix. */
    static final String M = "/api/models/" + BrownGpt2.NAME;

    @TempDir
    static Path data;

    static MicrowServer server;
    static Http http;
    /** Paces the server's jobs: a test that acts on a running job slows it down. */
    static final PausingPacing pacing = new PausingPacing();
    /** The loaded SAE's id. */
    static String sae;

    @BeforeAll
    static void startDemoServer() throws IOException {
        Path dir = Files.createDirectories(data.resolve("saes").resolve("h2"));
        for (String f : List.of("cfg.json", "sae_weights.safetensors")) {
            Files.copy(ConceptsAndSteeringTest.SAE_RESOURCE.resolve(f), dir.resolve(f));
        }
        server = pacing.server(ServerConfig.builder().dataDirectory(data)
                .allowedModels(List.of(BrownGpt2.NAME)).build()).start(0);
        http = new Http(server.port());
        assertThat(http.post(M + "/load", null).status()).isEqualTo(201);
        Http.Resp r = http.post("/api/saes/load", "{\"path\": \"saes/h2\", \"model\": \"" + BrownGpt2.NAME + "\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        sae = r.json().path("id").asText();
    }

    @AfterAll
    static void stopDemoServer() {
        if (server != null) {
            server.stop();
            server = null;
        }
    }
}
