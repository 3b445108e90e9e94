package io.microw.docs;

import ai.djl.ndarray.NDArray;
import io.microw.analysis.IntegratedGradients;
import io.microw.analysis.SaeAttributionResult;
import io.microw.analysis.SaeFeatureAttribution;
import io.microw.concepts.ConceptDictionary;
import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownDiscovery;
import io.microw.demo.BrownGpt2;
import io.microw.demo.BrownProbeData;
import io.microw.demo.BrownProbeLabel;
import io.microw.eval.LinearProbe;
import io.microw.eval.ProbeOptions;
import io.microw.hooks.FunctionController;
import io.microw.hooks.HookType;
import io.microw.lm.GradientResult;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;
import io.microw.sae.Sae;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
    void backwardHooks() {
        long[][] ids = {lm.tokenizer().encode("The man in the car said that")};
        LogitMetric metric = LogitMetric.logitDiff(lm.tokenizer().encode(" he")[0], lm.tokenizer().encode(" she")[0]);
        // snippet:gradients.backward
        // per call: freeze every attention pattern and clip the gradient leaving block 2
        Interventions iv = Interventions.stopGradient("blocks.*.attn.hook_pattern")
                .and(Interventions.editGradient("blocks.2.hook_resid_post", (grad, call) -> grad.clip(-0.01f, 0.01f)));
        try (GradientResult g = lm.gradients().of(ids, null, iv, metric, "blocks.0.hook_resid_pre")) {
            System.out.println(g.get("blocks.0.hook_resid_pre").abs().sum().getFloat());
        }
        // registered: every gradient call halves the gradient leaving block 1's MLP
        String id = lm.layers().registerHook("blocks.1.hook_mlp_out",
                new FunctionController("blocks.1.hook_mlp_out", HookType.BACKWARD, grad -> grad.mul(0.5f)));
        // end-snippet
        try (GradientResult plain = lm.gradients().of(ids, null, metric, "blocks.1.hook_mlp_out");
             GradientResult edited = lm.gradients().of(ids, null, iv, metric, "blocks.1.hook_mlp_out")) {
            assertThat(edited.get("blocks.1.hook_mlp_out").toFloatArray()).as("patterns frozen, block 2 clipped")
                    .isNotEqualTo(plain.get("blocks.1.hook_mlp_out").toFloatArray());
        } finally {
            lm.layers().unregisterHook(id);
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
    void saeFeatureAttribution(@TempDir Path dir) throws Exception {
        // the demo SAE (a test resource) and a dictionary named by Brown POS discovery, saved where the snippet reads
        Path saeDir = Path.of(getClass().getResource("/io/microw/demo/sae-h2-topk1024/cfg.json").toURI()).getParent();
        try (Sae demo = Sae.load(saeDir)) {
            ConceptDictionary discovered = ConceptDictionary.forLatents(demo.dSae());
            new BrownDiscovery(lm, demo, "transformer.h.2").run(BrownCorpus.load(), BrownCorpus.Split.VALIDATION, 300)
                    .discovery().proposeNames(discovered, 0.3);
            discovered.save(dir.resolve("concepts.json"));
        }
        // snippet:gradients.sae
        long[][] ids = {lm.tokenizer().encode("The man in the car said that")};
        LogitMetric heOverShe = LogitMetric.logitDiff(lm.tokenizer().encode(" he")[0], lm.tokenizer().encode(" she")[0]);
        SaeAttributionResult r;
        try (Sae sae = Sae.load(saeDir)) {                                   // a TopK SAE on transformer.h.2
            ConceptDictionary concepts = ConceptDictionary.load(dir.resolve("concepts.json"), sae.dSae());
            r = SaeFeatureAttribution.of(sae, "transformer.h.2").withConcepts(concepts)
                    .attribute(lm, ids, null, heOverShe);
        }
        System.out.print(r.table(5, SaeAttributionResult.Ranking.MAGNITUDE)); // latent, Σ attribution, ..., concept
        for (SaeAttributionResult.Entry e : r.at(0, ids[0].length - 1)) {    // the last token's active latents
            System.out.println(e.latent() + ": " + e.activation() + " × " + e.gradient() + " = " + e.attribution());
        }
        // end-snippet
        assertThat(r.metric()).as("the clean metric, the error term kept").isCloseTo(2.85f, within(0.01f));
        assertThat(r.at(0, ids[0].length - 1)).hasSize(16);
        assertThat(r.top(1).get(0).concept()).as("the top latent is named").isPresent();
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
