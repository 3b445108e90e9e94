package io.microw.server;

import io.microw.demo.BrownGpt2;
import io.microw.sae.SaeArchitecture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Job parameters that would only fail once the job runs, or that would exhaust the machine, are refused when the
 * job is created: SAE trainings too large for memory, more threads than cores, k not below d_sae, unknown layers.
 */
class ResourceLimitsTest {

    static final String LAYER = "transformer.h.1";
    static final String RUN = "limits-src";
    static final long GIB = 1L << 30;

    @TempDir
    static Path data;

    static MicrowServer server;
    static Http http;

    @BeforeAll
    static void start() {
        server = new MicrowServer(ServerConfig.builder().dataDirectory(data).allowedModels(List.of(BrownGpt2.NAME))
                .build()).start(0);
        http = new Http(server.port());
        Http.Resp act = http.post("/api/jobs/activations", "{\"model\": \"brown-gpt2\", \"texts\": [\"The jury said\", "
                + "\"It was a cold day\"], \"layers\": [\"" + LAYER + "\"], \"run\": \"" + RUN + "\"}");
        assertThat(act.status()).as(act.raw()).isEqualTo(201);
        JobsTest.waitFor(http, act.json().path("id").asText(), "succeeded");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
    }

    static Http.Resp train(String fields) {
        return http.post("/api/jobs/training", "{\"run\": \"" + RUN + "\", \"layer\": \"" + LAYER + "\", " + fields
                + "}");
    }

    /** Cancels a created training job and waits until it has ended, so that its run is free for the next test. */
    static void cancel(Http.Resp created) {
        assertThat(created.status()).as(created.raw()).isEqualTo(201);
        String id = created.json().path("id").asText();
        if (http.post("/api/jobs/" + id + "/cancel", null).status() == 409) {
            return; // it has ended already
        }
        JobsTest.waitFor(http, id, Set.of("cancelled", "succeeded"), 0);
    }

    @Test
    void aTrainingWhoseTensorsWouldNotFitIsRefusedWithTheEstimate() {
        int jobs = http.get("/api/jobs").json().path("jobs").size();
        // 9 [65536, 131072] float tensors at once: 288 GiB
        Http.Resp r = train("\"architecture\": \"standard\", \"d_sae\": 131072, \"batch_size\": 65536");
        assertError(r, 400, "needs about");
        assertThat(r.json().path("error").asText()).contains("d_sae 131072", "batches of 65536 rows of width 256",
                "GiB of native memory", "GiB heap", "lower 'batch_size' or 'd_sae'");
        assertThat(http.get("/api/jobs").json().path("jobs")).hasSize(jobs); // no job was made
    }

    @Test
    void theEstimateFollowsTheTrainersTensors() {
        JobLimits.Memory machine = new JobLimits.Memory(4 * GIB, 16 * GIB);
        // TopK, d_in 256: 3 x 65536 x 131072 floats are 96 GiB
        assertThatThrownBy(() -> JobLimits.requireTrainingFits(SaeArchitecture.TOPK, 256, 131072, 65536, machine))
                .isInstanceOf(ApiException.class).hasMessageContaining("needs about 96.")
                .hasMessageContaining("has 16.0 GiB native").hasMessageContaining("4.0 GiB heap");
        JobLimits.requireTrainingFits(SaeArchitecture.TOPK, 256, 16384, 4096, machine); // 0.8 GiB native
        JobLimits.Memory small = JobLimits.trainingNeeds(SaeArchitecture.TOPK, 256, 16384, 4096);
        JobLimits.Memory dense = JobLimits.trainingNeeds(SaeArchitecture.STANDARD, 256, 16384, 4096);
        JobLimits.Memory jumpRelu = JobLimits.trainingNeeds(SaeArchitecture.JUMP_RELU, 256, 16384, 4096);
        assertThat(small.nativeBytes()).isBetween(3L * 4096 * 16384 * 4, 4L * 4096 * 16384 * 4);
        assertThat(dense.nativeBytes()).isGreaterThan(small.nativeBytes());
        assertThat(jumpRelu.nativeBytes()).isGreaterThan(dense.nativeBytes());
        // parameters, gradients and two Adam moments on the heap: 4 x 2 x 256 x 16384 floats at least
        assertThat(small.heap()).isGreaterThan(4L * 2 * 256 * 16384 * 4);
        assertThat(small.fitsIn(machine)).isTrue();
        assertThat(new JobLimits.Memory(5 * GIB, GIB).fitsIn(machine)).isFalse();
    }

    @Test
    void moreThreadsThanCoresAreRefused() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertError(train("\"d_sae\": 64, \"threads\": " + (cores + 1)), 400, "'threads' must be an integer from 1 to "
                + cores + " (the cores of this machine), got " + (cores + 1));
        assertError(train("\"d_sae\": 64, \"threads\": 0"), 400, "'threads'");
        Http.Resp ok = train("\"d_sae\": 64, \"k\": 4, \"batch_size\": 64, \"threads\": " + cores);
        assertThat(ok.json().path("params").path("threads").asInt()).as(ok.raw()).isEqualTo(cores);
        cancel(ok);
    }

    @Test
    void kMustBeBelowDSaeForTheSaesThatKeepKLatents() {
        assertError(train("\"d_sae\": 64, \"k\": 64"), 400, "'k' must be an integer from 1 to 63 (fewer than d_sae = "
                + "64 for a topk SAE), got 64");
        assertError(train("\"architecture\": \"batchtopk\", \"d_sae\": 64, \"k\": 64"), 400, "batchtopk");
        assertError(train("\"d_sae\": 1"), 400, "'d_sae' must be at least 2 for a topk SAE");
        Http.Resp ok = train("\"d_sae\": 64, \"k\": 63, \"batch_size\": 64");
        assertThat(ok.json().path("params").path("k").asInt()).as(ok.raw()).isEqualTo(63);
        cancel(ok);
    }

    @Test
    void unknownLayersAreRefusedWhetherTheModelIsLoadedOrNot() {
        String job = "{\"model\": \"brown-gpt2\", \"texts\": [\"a b\"], \"layers\": [\"" + LAYER + "\", %s]}";
        assertError(http.post("/api/jobs/activations", String.format(job, "\"transformer.h.9\"")), 400,
                "unknown layer 'transformer.h.9'");
        assertError(http.post("/api/jobs/activations", String.format(job, "\"9999\"")), 400, "layer index 9999");
        assertThat(http.post("/api/models/brown-gpt2/load", null).status()).isEqualTo(201);
        try {
            assertError(http.post("/api/jobs/activations", String.format(job, "\"transformer.h.9.mlp\"")), 400,
                    "unknown layer 'transformer.h.9.mlp'");
            Http.Resp alias = http.post("/api/jobs/activations", String.format(job, "\"layer_2\""));
            assertThat(alias.status()).as(alias.raw()).isEqualTo(201);
        } finally {
            assertThat(http.post("/api/models/brown-gpt2/unload", null).status()).isEqualTo(200);
        }
    }
}
