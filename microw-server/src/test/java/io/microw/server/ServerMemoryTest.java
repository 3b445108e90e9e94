package io.microw.server;

import ai.djl.ndarray.NDManager;
import io.microw.demo.BrownGpt2;
import io.microw.nn.Linear;
import io.microw.testing.NativeRss;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many requests of every kind that runs the model (inference with a capture hook, generation, SAE inference,
 * steering, top texts) leave no NDArray behind in the model's manager and no hook registered, and the process's
 * resident memory outside the Java heap ({@link NativeRss}) stays flat.
 */
class ServerMemoryTest {

    private static final int WARM_UP = 40;
    private static final int ROUNDS = 60;
    private static final long MAX_GROWTH_BYTES = 64L << 20;
    private static final String M = "/api/models/brown-gpt2";

    @TempDir
    static Path data;

    static MicrowServer server;
    static Http http;

    @BeforeAll
    static void start() throws IOException {
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data)
                .allowedModels(List.of(BrownGpt2.NAME)).build()).start(0);
        http = new Http(server.port());
        assertThat(http.post(M + "/load", null).status()).isEqualTo(201);
        Path copy = data.resolve("saes").resolve("h2");
        Files.createDirectories(copy);
        try (var files = Files.list(WebUiTest.TEST_SAE)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Http.Resp sae = http.post("/api/saes/load", "{\"path\": \"saes/h2\", \"model\": \"brown-gpt2\"}");
        assertThat(sae.status()).as(sae.raw()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private static void round(int i) {
        String text = i % 2 == 0 ? "The jury said it did not find any evidence" : "Three men walked to the old church";
        ok(http.post(M + "/infer", "{\"texts\": [\"" + text + "\"], \"hooks\": [{\"type\": \"capture\", "
                + "\"layer\": \"transformer.h.1\"}, {\"type\": \"scale\", \"layer\": \"transformer.h.0.mlp\", "
                + "\"factor\": 1.1}]}"));
        ok(http.post(M + "/generate", "{\"prompt\": \"" + text + "\", \"max_new_tokens\": 4}"));
        ok(http.post("/api/saes/sae-1/infer", "{\"text\": \"" + text + "\", \"latents\": [1, 2]}"));
        ok(http.post(M + "/steer", "{\"prompt\": \"" + text + "\", \"sae\": \"sae-1\", \"max_new_tokens\": 4, "
                + "\"edits\": [{\"latent\": 5, \"op\": \"clamp\", \"value\": 8}]}"));
        if (i % 10 == 0) {
            ok(http.post("/api/saes/sae-1/top-texts", "{\"texts\": [\"" + text + "\"], \"top_k\": 2}"));
        }
    }

    private static void ok(Http.Resp r) {
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
    }

    @Test
    void manyRequestsLeaveNoArraysOrHooksBehind() throws IOException {
        var lm = server.models().get(BrownGpt2.NAME).lm;
        NDManager modelManager = ((Linear) lm.layers().module("lm_head")).weight().getManager();
        for (int i = 0; i < WARM_UP; i++) {
            round(i);
        }
        long rssBefore = NativeRss.bytes();
        int arraysBefore = modelManager.getManagedArrays().size();
        for (int i = 0; i < ROUNDS; i++) {
            round(i);
        }
        long growth = NativeRss.bytes() - rssBefore;
        System.out.printf("ServerMemoryTest: %d rounds; arrays in the model manager %d -> %d; growth of the resident "
                + "memory outside the Java heap %.1f MB%n", ROUNDS, arraysBefore, modelManager.getManagedArrays().size(),
                growth / 1048576.0);
        assertThat(modelManager.getManagedArrays()).as("arrays in the model's manager").hasSize(arraysBefore);
        assertThat(lm.layers().detectors()).as("detectors left registered").isEmpty();
        assertThat(lm.layers().controllers()).as("controllers left registered").isEmpty();
        assertThat(growth).as("growth of the resident memory outside the Java heap, in bytes").isLessThan(MAX_GROWTH_BYTES);
    }
}
