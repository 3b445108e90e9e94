package io.microw.docs;

import ai.djl.ndarray.NDArray;
import io.microw.analysis.IntegratedGradients;
import io.microw.demo.BrownGpt2;
import io.microw.demo.BrownProbeData;
import io.microw.demo.BrownProbeLabel;
import io.microw.eval.LinearProbe;
import io.microw.eval.ProbeOptions;
import io.microw.lm.GradientResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java blocks of {@code docs/gradients-and-attribution.md} (see {@link DocSnippetsTest} for the convention). */
class GradientsSnippetsTest {

    static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void gradientsAtLayersAndWeights() {
        // snippet:gradients.of
        long[][] ids = {lm.tokenizer().encode("The man in the car said that")};
        LogitMetric metric = LogitMetric.logitDiff(lm.tokenizer().encode(" he")[0], lm.tokenizer().encode(" she")[0]);
        try (GradientResult g = lm.gradients().withParameters("transformer.h.0.mlp.c_fc.weight")
                .of(ids, null, metric, "blocks.*.hook_resid_pre", "blocks.2.attn.hook_z")) {
            NDArray residGrad = g.get("blocks.1.hook_resid_pre");              // [1, seq, 256]
            NDArray zGrad = g.get("blocks.2.attn.hook_z");                     // [1, seq, heads, head_dim]
            NDArray weightGrad = g.parameter("transformer.h.0.mlp.c_fc.weight"); // as in the checkpoint
            System.out.println(g.value() + " " + residGrad.getShape() + " " + zGrad.getShape() + " " + weightGrad.getShape());
        }
        // end-snippet
        try (GradientResult g = lm.gradients().withParameters("transformer.h.0.mlp.c_fc.weight")
                .of(ids, null, metric, "blocks.1.hook_resid_pre", "blocks.2.attn.hook_z")) {
            assertThat(g.value()).as("the clean metric the causal-analysis page states").isBetween(2.84f, 2.86f);
            assertThat(g.get("blocks.1.hook_resid_pre").getShape().getShape())
                    .containsExactly(1, ids[0].length, 256);
            assertThat(g.get("blocks.2.attn.hook_z").getShape().get(2)).isEqualTo(lm.config().numHeads());
            assertThat(g.parameter("transformer.h.0.mlp.c_fc.weight").abs().sum().getFloat()).isPositive();
        }
    }

    @Test
    void integratedGradientsAndSaliency() {
        // snippet:gradients.ig
        long[] prompt = lm.tokenizer().encode("The man in the car said that");
        LogitMetric heOverShe = LogitMetric.logitDiff(lm.tokenizer().encode(" he")[0], lm.tokenizer().encode(" she")[0]);
        IntegratedGradients.Result ig = IntegratedGradients.defaults()
                .withBaselineToken(lm.tokenizer().eosTokenId().orElseThrow())
                .attribute(lm, prompt, heOverShe);
        IntegratedGradients.Saliency saliency = IntegratedGradients.saliency(lm, prompt, heOverShe);
        System.out.println(Arrays.toString(ig.attributions()) + " sum " + ig.sum() + " vs "
                + (ig.metricAtInput() - ig.metricAtBaseline()) + "; saliency " + Arrays.toString(saliency.values()));
        // end-snippet
        float difference = ig.metricAtInput() - ig.metricAtBaseline();
        assertThat(Math.abs(ig.convergenceDelta() / difference)).as("completeness, relative").isLessThan(0.01f);
        assertThat(saliency.values()).hasSize(prompt.length);
    }

    @Test
    void aLinearProbe() {
        // snippet:gradients.probe
        float[][] features = new float[200][];
        int[] labels = new int[200];
        Random random = new Random(0);
        for (int i = 0; i < features.length; i++) {
            labels[i] = i % 2;
            features[i] = new float[] {labels[i] * 3 + (float) random.nextGaussian(), (float) random.nextGaussian()};
        }
        LinearProbe probe = LinearProbe.train(features, labels, ProbeOptions.defaults());
        System.out.println(probe.report().validationAccuracy() + " " + Arrays.toString(probe.direction()));
        // end-snippet
        assertThat(probe.report().validationAccuracy()).isGreaterThan(0.85);
        assertThat(probe.direction()[0]).isGreaterThan(0.9f);
    }

    @Test
    void aProbePerLayerOnBrown() {
        // snippet:gradients.probe-brown
        BrownProbeData data = BrownProbeData.collect(lm, BrownProbeLabel.parse("pos:nn,vb"), 100,
                List.of("blocks.0.hook_resid_pre", "blocks.3.hook_resid_post"));
        Map<String, LinearProbe> probes = data.probes(ProbeOptions.defaults().withEpochs(20));
        probes.forEach((layer, p) -> System.out.println(layer + " " + p.report().validationAccuracy()));
        float[] towardVerbs = probes.get("transformer.h.3.hook_resid_post").direction(); // a steering vector
        // end-snippet
        assertThat(probes).hasSize(2);
        assertThat(towardVerbs).hasSize(lm.config().hiddenSize());
        assertThat(probes.get("transformer.h.3.hook_resid_post").report().validationAccuracy()).isGreaterThan(0.85);
    }
}
