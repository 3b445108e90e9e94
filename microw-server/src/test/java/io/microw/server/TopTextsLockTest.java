package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.concepts.LatentContext;
import io.microw.concepts.LatentStatistics;
import io.microw.concepts.OfflineTopTexts;
import io.microw.concepts.TopTextTracker;
import io.microw.data.Datasets;
import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A long top-texts request takes the model's lock one batch at a time: small inferences sent while it runs wait for
 * one batch, not for the whole run, and the top texts are the same as one uninterrupted pass over the texts.
 */
class TopTextsLockTest extends DemoServerTest {

    /** Brown training sentences for the long request: seconds of forwards (63 batches) on two busy cores. */
    static final int TEXTS = 1000;


    @Test
    void inferencesDuringALongTopTextsRunWaitForOneBatchNotForTheRun() throws Exception {
        String infer = "{\"texts\": [\"The jury said\"], \"top_k\": 1}";
        assertThat(http.post(M + "/infer", infer).status()).isEqualTo(200); // warm
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/saes/"
                + sae + "/top-texts")).header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"brown\": \"train\", \"limit\": " + TEXTS + "}"))
                .build();
        long started = System.nanoTime();
        CompletableFuture<HttpResponse<String>> long_ = HttpClient.newHttpClient().sendAsync(request,
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(500); // the corpus is read and the first batches run
        long worst = 0;
        int during = 0;
        while (!long_.isDone()) { // each inference is sent while top-texts runs
            long t = System.nanoTime();
            Http.Resp r = http.post(M + "/infer", infer);
            worst = Math.max(worst, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
            during++;
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
        }
        HttpResponse<String> top = long_.get();
        long total = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        System.out.printf("top-texts over %d Brown sentences took %d ms; %d inferences were sent meanwhile, the "
                + "slowest answered in %d ms%n", TEXTS, total, during, worst);
        assertThat(top.statusCode()).as(top.body()).isEqualTo(200);
        assertThat(Http.MAPPER.readTree(top.body()).path("texts").asInt()).isEqualTo(TEXTS);
        assertThat(during).as("inferences sent while top-texts ran (%d ms)", total).isGreaterThanOrEqualTo(3);
        // Holding the lock for the whole run made an inference wait about as long as the run itself (8.9 s of a
        // 9.4 s run on two busy cores); taken batch by batch, the wait is one batch (1.5 s of a 17 s run there).
        assertThat(worst).as("slowest inference while top-texts ran (ms) of a %d ms run", total)
                .isLessThan(Math.min(3000, total / 4));
    }

    @Test
    void topTextsTakenBatchByBatchEqualOneUninterruptedPass() {
        List<String> texts = TextSources.brown("validation", 90); // five full batches of 16 and a short one
        Http.Resp top = http.post("/api/saes/" + sae + "/top-texts", "{\"texts\": " + Http.MAPPER.valueToTree(texts)
                + ", \"top_k\": 3}");
        assertThat(top.status()).as(top.raw()).isEqualTo(200);
        TopTextTracker expected;
        try (LanguageModel lm = BrownGpt2.load(); Sae s = Sae.load(ConceptsAndSteeringTest.SAE_RESOURCE)) {
            expected = new TopTextTracker(s.dSae(), 3, 0, 4, lm.tokenizer()::tokenText);
            OfflineTopTexts.fromDataset(lm, s, "transformer.h.2", Datasets.fromTexts("brown", texts), 16, expected);
        }
        LatentStatistics stats = expected.statistics();
        assertThat(top.json().path("tokens").asLong()).isEqualTo(stats.tokens());
        JsonNode listed = http.get("/api/saes/" + sae + "/latents?sort=latent&limit=1000").json();
        int fired = 0;
        for (int j = 0; j < expected.latents(); j++) {
            fired += stats.firings(j) > 0 ? 1 : 0;
        }
        assertThat(listed.path("total").asInt()).isEqualTo(fired);
        int compared = 0;
        for (int i = 0; i < listed.path("latents").size(); i++) {
            JsonNode n = listed.path("latents").get(i);
            int j = n.path("latent").asInt();
            assertThat(n.path("firings").asLong()).as("firings of latent %d", j).isEqualTo(stats.firings(j));
            assertThat((float) n.path("max").asDouble()).as("max of latent %d", j).isEqualTo(stats.maxActivation(j));
            if (i % 25 == 0) { // the top contexts of every 25th latent listed
                JsonNode detail = http.get("/api/saes/" + sae + "/latents/" + j).json();
                List<LatentContext> contexts = expected.topTexts(j);
                assertThat(detail.path("top")).hasSize(contexts.size());
                for (int c = 0; c < contexts.size(); c++) {
                    JsonNode context = detail.path("top").get(c);
                    assertThat(context.path("text_id").asLong()).isEqualTo(contexts.get(c).textId());
                    assertThat(context.path("position").asInt()).isEqualTo(contexts.get(c).position());
                    assertThat((float) context.path("activation").asDouble()).isEqualTo(contexts.get(c).activation());
                }
                compared++;
            }
        }
        assertThat(compared).as("latents whose top contexts were compared").isGreaterThan(3);
    }
}
