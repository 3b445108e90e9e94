package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Unloading a model while generations and steering requests are in flight: every request ends with 200 or a clean
 * 409 (never a 500 from a freed tokenizer or model), and the server works again once the model is reloaded.
 */
class UnloadRaceTest extends DemoServerTest {

    static final int ROUNDS = 5;


    /** Twelve requests of four kinds: batched greedy, sampled, with hooks, and steered with the SAE. */
    static List<String[]> requests() {
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            out.add(new String[] {M + "/generate", "{\"prompts\": [\"The jury said\", \"It was " + i + "\"], "
                    + "\"max_new_tokens\": 8}"});
            out.add(new String[] {M + "/generate", "{\"prompt\": \"He had never seen\", \"max_new_tokens\": 8, "
                    + "\"temperature\": 0.8, \"seed\": " + i + "}"});
            out.add(new String[] {M + "/generate", "{\"prompt\": \"According to the report\", \"max_new_tokens\": 8, "
                    + "\"hooks\": [{\"type\": \"scale\", \"layer\": \"transformer.h.0.mlp\", \"factor\": 1.5}]}"});
            out.add(new String[] {M + "/steer", "{\"prompt\": \"When I was a boy\", \"sae\": \"" + sae + "\", "
                    + ConceptsAndSteeringTest.CLAMP + ", \"max_new_tokens\": 8}"});
        }
        return out;
    }

    @Test
    void unloadDuringGenerationsAndSteeringGivesOnly200sAnd409sAndTheModelComesBack() throws Exception {
        String expected = http.post(M + "/generate", "{\"prompt\": \"The jury said\", \"max_new_tokens\": 8}").json()
                .path("results").get(0).path("completion").asText();
        int ok = 0;
        int refused = 0;
        for (int round = 0; round < ROUNDS; round++) {
            List<CompletableFuture<Http.Resp>> inFlight = new ArrayList<>();
            for (String[] r : requests()) {
                inFlight.add(http.sendAsync("POST", r[0], r[1]));
            }
            Thread.sleep(40L * (round + 1)); // unload at a different point of the queue each round
            Http.Resp unload = http.post(M + "/unload", null);
            assertThat(unload.status()).as(unload.raw()).isEqualTo(200);
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            for (CompletableFuture<Http.Resp> f : inFlight) {
                Http.Resp r = f.get();
                assertThat(r.status()).as("round %d: %s", round, r.raw()).isIn(200, 409);
                if (r.status() == 200) {
                    ok++;
                    for (JsonNode result : r.json().path("results")) {
                        JsonNode g = result.has("steered") ? result.path("steered") : result;
                        assertThat(g.path("tokens").size()).as(r.raw()).isBetween(1, 8);
                        g.path("tokens").forEach(t -> assertThat(t.path("text").isTextual()).isTrue());
                    }
                } else {
                    refused++;
                    assertThat(r.json().path("error").asText()).as(r.raw()).containsAnyOf("was unloaded",
                            "is not loaded");
                }
            }
            assertThat(http.post(M + "/load", null).status()).isEqualTo(201);
        }
        // the race really happened: some requests finished, some were turned away
        assertThat(ok).as("requests answered 200").isPositive();
        assertThat(refused).as("requests answered 409").isPositive();
        Http.Resp after = http.post(M + "/generate", "{\"prompt\": \"The jury said\", \"max_new_tokens\": 8}");
        assertThat(after.status()).as(after.raw()).isEqualTo(200);
        assertThat(after.json().path("results").get(0).path("completion").asText()).isEqualTo(expected);
        Http.Resp steer = http.post(M + "/steer", "{\"prompt\": \"The jury said\", \"sae\": \"" + sae + "\", "
                + ConceptsAndSteeringTest.CLAMP + ", \"max_new_tokens\": 8}");
        assertThat(steer.status()).as(steer.raw()).isEqualTo(200);
    }
}
