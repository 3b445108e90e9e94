package io.microw.eval;

import io.microw.lm.GradientResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A probe trains while gradient calls run on another thread: DJL's PyTorch engine allows one gradient collector at a
 * time in the JVM, so both take the same lock step by step, and neither fails nor waits for the other to finish.
 */
class LinearProbeConcurrencyTest {

    @Test
    void aProbeAndGradientCallsTakeTurnsWithTheOneCollector() throws Exception {
        int n = 400;
        int d = 8;
        Random random = new Random(1);
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) random.nextGaussian() + (j == 0 ? 4 * y[i] : 0);
            }
        }
        try (Fixture fixture = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(fixture.modelDir())) {
            CompletableFuture<LinearProbe> training = CompletableFuture.supplyAsync(
                    () -> LinearProbe.train(x, y, ProbeOptions.defaults().withEpochs(40)));
            int calls = 0;
            while (!training.isDone() || calls < 3) {
                try (GradientResult g = lm.gradients().of(new long[][] {{5, 9, 2, 7}}, null,
                        LogitMetric.logitDiff(1, 2), "blocks.0.hook_resid_pre")) {
                    assertThat(g.get("blocks.0.hook_resid_pre").getShape().get(1)).isEqualTo(4);
                }
                calls++;
            }
            LinearProbe probe = training.get(10, TimeUnit.SECONDS);
            System.out.println("LinearProbeConcurrencyTest: " + calls + " gradient calls while the probe trained");
            assertThat(probe.report().validationAccuracy()).isGreaterThan(0.95);
        }
    }
}
