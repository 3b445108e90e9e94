package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.demo.BrownGpt2;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.List;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /api/saes/load} by release and id, and {@code GET /api/sae-releases}, with the embedded brown-gpt2-res. */
class PublishedSaeLoadTest {

    static final String BODY = "{\"release\": \"brown-gpt2-res\", \"sae_id\": \"blocks.2.hook_resid_post\", "
            + "\"model\": \"brown-gpt2\"}";

    @TempDir
    static java.nio.file.Path data;

    static MicrowServer server;
    static Http http;

    @BeforeAll
    static void start() {
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data).allowedModels(List.of(BrownGpt2.NAME))
                .build()).start(0);
        http = new Http(server.port());
        assertThat(http.post("/api/models/brown-gpt2/load", null).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void loadsTheEmbeddedReleaseOnItsRecordedLayerAndRunsIt() {
        Http.Resp r = http.post("/api/saes/load", BODY);
        assertThat(r.status()).as(r.raw()).isEqualTo(201);
        JsonNode sae = r.json();
        assertThat(sae.path("path").asText()).isEqualTo("brown-gpt2-res:blocks.2.hook_resid_post");
        assertThat(sae.path("release").asText()).isEqualTo("brown-gpt2-res");
        assertThat(sae.path("sae_id").asText()).isEqualTo("blocks.2.hook_resid_post");
        assertThat(sae.path("layer").asText()).isEqualTo("transformer.h.2");
        assertThat(sae.path("d_sae").asInt()).isEqualTo(1024);
        Http.Resp infer = http.post("/api/saes/" + sae.path("id").asText() + "/infer", "{\"text\": \"The jury said\"}");
        assertThat(infer.status()).as(infer.raw()).isEqualTo(200);
        assertThat(http.get("/api/saes/" + sae.path("id").asText()).json().path("release").asText())
                .isEqualTo("brown-gpt2-res");
    }

    @Test
    void idsNotInTheRegistryAre404sNamingTheClosestAndPathOrReleaseIsRequired() {
        assertError(http.post("/api/saes/load", BODY.replace("hook_resid_post", "hook_resid_pre")), 404,
                "closest: [blocks.2.hook_resid_post]");
        assertError(http.post("/api/saes/load", BODY.replace("brown-gpt2-res", "brown-gpt2-rez")), 404,
                "closest: [brown-gpt2-res");
        assertError(http.post("/api/saes/load", BODY.replace("{", "{\"path\": \"saes/h2\", ")), 400,
                "not both");
        assertError(http.post("/api/saes/load", "{\"model\": \"brown-gpt2\"}"), 400, "missing 'path'");
        assertError(http.post("/api/saes/load", "{\"release\": \"brown-gpt2-res\", \"model\": \"brown-gpt2\"}"), 400,
                "missing 'sae_id'");
    }

    @Test
    void listsReleasesByModelAndDescribesTheRequestInTheOpenApiDocument() {
        Http.Resp r = http.get("/api/sae-releases?model=brown-gpt2");
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        JsonNode releases = r.json().path("releases");
        assertThat(releases).hasSize(1);
        assertThat(releases.get(0).path("release").asText()).isEqualTo("brown-gpt2-res");
        assertThat(releases.get(0).path("embedded").asBoolean()).isTrue();
        assertThat(releases.get(0).path("sae_ids").toString()).isEqualTo("[\"blocks.2.hook_resid_post\"]");
        JsonNode all = http.get("/api/sae-releases").json().path("releases");
        assertThat(all.size()).isGreaterThan(50);

        JsonNode doc = http.get("/api/openapi.json").json();
        assertThat(doc.path("paths").has("/api/sae-releases")).isTrue();
        assertThat(doc.path("paths").path("/api/saes/load").path("post").path("requestBody").toString())
                .contains("SaeLoadRequest");
        JsonNode props = doc.path("components").path("schemas").path("SaeLoadRequest").path("properties");
        assertThat(props.has("release")).isTrue();
        assertThat(props.has("sae_id")).isTrue();
        assertThat(props.has("path")).isTrue();
    }
}
