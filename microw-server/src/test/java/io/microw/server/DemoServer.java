package io.microw.server;

import io.microw.demo.BrownGpt2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server for tests on a temporary data directory, with brown-gpt2 loaded and the demo's layer-2 TopK SAE (copied
 * to {@code saes/h2} in the data directory) loaded for it.
 *
 * @param server the running server
 * @param http a client of it
 * @param sae the loaded SAE's id
 */
record DemoServer(MicrowServer server, Http http, String sae) implements AutoCloseable {

    /** Starts the server on {@code data} and loads the model and the SAE, asserting that both loads succeed. */
    static DemoServer start(Path data) throws IOException {
        Path dir = Files.createDirectories(data.resolve("saes").resolve("h2"));
        for (String f : List.of("cfg.json", "sae_weights.safetensors")) {
            Files.copy(ConceptsAndSteeringTest.SAE_RESOURCE.resolve(f), dir.resolve(f));
        }
        MicrowServer server = new MicrowServer(ServerConfig.builder().dataDirectory(data)
                .allowedModels(List.of(BrownGpt2.NAME)).build()).start(0);
        Http http = new Http(server.port());
        assertThat(http.post("/api/models/" + BrownGpt2.NAME + "/load", null).status()).isEqualTo(201);
        Http.Resp r = http.post("/api/saes/load", "{\"path\": \"saes/h2\", \"model\": \"" + BrownGpt2.NAME + "\"}");
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        return new DemoServer(server, http, r.json().path("id").asText());
    }

    @Override
    public void close() {
        server.stop();
    }
}
