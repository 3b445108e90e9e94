package io.microw.lm;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Backward controllers, registered and per-call, replace the gradient arriving at a layer's output before the backward
 * pass goes on upstream; checked on the GPT-2 fixture (two blocks) against gradient calls without them.
 */
class GradientsBackwardControllerTest {

    private static final long[][] IDS = {{5, 9, 2, 7, 11}, {3, 1, 4, 8, 0}};
    private static final long[][] MASK = {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}};
    private static final LogitMetric METRIC = LogitMetric.logitDiff(1, 2);
    private static final String WEIGHT0 = "transformer.h.0.mlp.c_fc.weight";
    /** Upstream of block 0's output: the metric reaches them only through it. */
    private static final List<String> BLOCK0 = List.of("blocks.0.hook_resid_pre", "blocks.0.hook_attn_out",
            "blocks.0.attn.hook_z", "blocks.0.hook_mlp_out", "blocks.0.hook_resid_mid");
    /** Block 0's output and what lies after it. */
    private static final List<String> AFTER0 = List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_pre",
            "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post");

    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        try (Fixture fixture = Fixture.open("gpt2")) {
            lm = LanguageModel.load(fixture.modelDir());
        }
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void unregister() {
        lm.layers().allHooks().forEach(h -> lm.layers().unregisterHook(h.id()));
    }

    /** The gradients of a call at every site of BLOCK0 and AFTER0, and at WEIGHT0, as heap arrays. */
    private static Map<String, float[]> gradients(Interventions iv) {
        List<String> sites = new ArrayList<>(BLOCK0);
        sites.addAll(AFTER0);
        Map<String, float[]> out = new LinkedHashMap<>();
        try (GradientResult g = lm.gradients().withParameters(WEIGHT0).of(IDS, MASK, iv, METRIC,
                sites.toArray(String[]::new))) {
            sites.forEach(site -> out.put(site, g.get(site).toFloatArray()));
            out.put(WEIGHT0, g.parameter(WEIGHT0).toFloatArray());
        }
        return out;
    }

    private static float[] times(float[] values, float factor) {
        float[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= factor;
        }
        return out;
    }

    /** A registered backward controller applying a function to the gradient. */
    private static final class GradientFunction extends BaseHook implements Controller {
        private final UnaryOperator<NDArray> function;

        GradientFunction(String layer, UnaryOperator<NDArray> function) {
            super(HookType.BACKWARD, layer);
            this.function = function;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            return function.apply(call.activations());
        }
    }

    @Test
    void anIdentityControllerLeavesEveryGradientAsWithoutOne() {
        Map<String, float[]> plain = gradients(Interventions.none());
        lm.layers().registerHook("blocks.0.hook_resid_post", new GradientFunction("blocks.0.hook_resid_post", g -> g));
        Map<String, float[]> identity = gradients(Interventions.none());
        plain.forEach((key, expected) -> assertThat(identity.get(key)).as(key)
                .containsExactly(expected, within(1e-7f)));
    }

    @Test
    void scalingTheGradientAtABlockOutputDoublesEveryGradientUpstreamExactlyAndNoneDownstream() {
        Map<String, float[]> plain = gradients(Interventions.none());
        Map<String, float[]> scaled = gradients(Interventions.editGradient("blocks.0.hook_resid_post",
                (g, call) -> g.mul(2f)));
        for (String site : BLOCK0) {
            assertThat(scaled.get(site)).as(site).containsExactly(times(plain.get(site), 2f));
        }
        assertThat(scaled.get(WEIGHT0)).as(WEIGHT0).containsExactly(times(plain.get(WEIGHT0), 2f));
        for (String site : AFTER0) {
            assertThat(scaled.get(site)).as(site).containsExactly(plain.get(site));
        }
    }

    @Test
    void stoppingTheGradientAtABlockOutputLeavesNothingUpstreamAndDownstreamUnchanged() {
        List<String> sites = new ArrayList<>(BLOCK0);
        sites.addAll(AFTER0);
        try (GradientResult plain = lm.gradients().of(IDS, MASK, METRIC, sites.toArray(String[]::new));
             GradientResult stopped = lm.gradients().of(IDS, MASK, Interventions.stopGradient("blocks.0.hook_resid_post"),
                     METRIC, sites.toArray(String[]::new))) {
            for (String site : BLOCK0) {
                assertThat(plain.dependsOn(site)).as(site + " without the stop").isTrue();
                assertThat(stopped.dependsOn(site)).as(site).isFalse();
            }
            for (String site : AFTER0) {
                assertThat(stopped.get(site).toFloatArray()).as(site).containsExactly(plain.get(site).toFloatArray());
            }
        }
    }

    @Test
    void stoppingTheGradientThroughAttentionAndMlpLeavesOnlyTheResidualPath() {
        String[] sites = {"blocks.1.hook_resid_pre", "blocks.1.hook_resid_post"};
        try (GradientResult plain = lm.gradients().of(IDS, MASK, METRIC, sites);
             GradientResult stopped = lm.gradients().of(IDS, MASK, Interventions.stopGradient("blocks.1.hook_attn_out")
                     .and(Interventions.stopGradient("blocks.1.hook_mlp_out")), METRIC, sites)) {
            assertThat(plain.get(sites[0]).toFloatArray()).as("without the stops")
                    .isNotEqualTo(plain.get(sites[1]).toFloatArray());
            assertThat(stopped.get(sites[0]).toFloatArray()).containsExactly(stopped.get(sites[1]).toFloatArray());
            assertThat(stopped.get(sites[1]).toFloatArray()).as("the block's output, downstream of the stops")
                    .containsExactly(plain.get(sites[1]).toFloatArray());
            assertThat(stopped.value()).isEqualTo(plain.value());
        }
    }

    @Test
    void stoppingTheGradientAtTheAttentionPatternsEqualsPatchingInConstantPatterns() {
        String patterns = "blocks.*.attn.hook_pattern";
        String[] sites = {"blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.0.attn.hook_z"};
        try (RunResult clean = lm.inference().runWithCache(IDS, MASK, patterns);
             GradientResult plain = lm.gradients().of(IDS, MASK, METRIC, sites);
             GradientResult frozen = lm.gradients().of(IDS, MASK, Interventions.stopGradient(patterns), METRIC, sites);
             // an independent way to freeze them: the patterns replaced by constants of the same value
             GradientResult patched = lm.gradients().of(IDS, MASK, Interventions.patch(patterns, clean.cache()),
                     METRIC, sites)) {
            assertThat(frozen.value()).isEqualTo(plain.value());
            // the constants come from a plain forward, whose element-wise ops round differently from a recorded one
            // (about 1 ulp): 1e-5, the tolerance, where freeing the patterns moves gradients by ~0.1
            for (String site : sites) {
                assertThat(frozen.get(site).toFloatArray()).as(site)
                        .containsExactly(patched.get(site).toFloatArray(), within(1e-5f));
            }
            assertThat(frozen.get(sites[0]).toFloatArray()).as("frozen vs free patterns")
                    .isNotEqualTo(plain.get(sites[0]).toFloatArray());
        }
    }

    @Test
    void aRegisteredControllerAndAPerCallEditGiveTheSameGradients() {
        UnaryOperator<NDArray> clip = g -> g.clip(-2e-3f, 2e-3f);
        Map<String, float[]> plain = gradients(Interventions.none());
        Map<String, float[]> perCall = gradients(Interventions.editGradient("blocks.0.hook_mlp_out",
                (g, call) -> clip.apply(g)));
        lm.layers().registerHook("blocks.0.hook_mlp_out", new GradientFunction("blocks.0.hook_mlp_out", clip));
        Map<String, float[]> registered = gradients(Interventions.none());
        perCall.forEach((key, expected) -> assertThat(registered.get(key)).as(key).containsExactly(expected));
        assertThat(perCall.get(WEIGHT0)).as("clipping changed the weight's gradient")
                .isNotEqualTo(plain.get(WEIGHT0));
        assertThat(perCall.get("blocks.0.hook_mlp_out")).as("the site's own gradient, as it arrived")
                .containsExactly(plain.get("blocks.0.hook_mlp_out"));
    }

    @Test
    void backwardDetectorsSeeTheArrivingGradientAtACutAndTheReplacedOneUpstream() {
        Recorder atCut = new Recorder("blocks.0.hook_resid_post");
        Recorder upstream = new Recorder("blocks.0.hook_resid_pre");
        lm.layers().registerHook("blocks.0.hook_resid_post", atCut);
        lm.layers().registerHook("blocks.0.hook_resid_pre", upstream);
        Map<String, float[]> plain = gradients(Interventions.none());
        gradients(Interventions.editGradient("blocks.0.hook_resid_post", (g, call) -> g.mul(4f)));
        assertThat(atCut.seen).hasSize(2);
        assertThat(atCut.seen.get(1)).containsExactly(plain.get("blocks.0.hook_resid_post"));
        assertThat(upstream.seen.get(1)).containsExactly(times(plain.get("blocks.0.hook_resid_pre"), 4f));
    }

    @Test
    void aControllerWhereNothingUpstreamNeedsAGradientLeavesTheGradientsDownstream() {
        String[] sites = {"blocks.0.hook_resid_pre", "blocks.1.hook_resid_post"};
        try (GradientResult plain = lm.gradients().of(IDS, MASK, METRIC, sites);
             GradientResult edited = lm.gradients().of(IDS, MASK, Interventions.editGradient("hook_embed",
                     (g, call) -> g.mul(3f)), METRIC, sites)) {
            for (String site : sites) {
                assertThat(edited.get(site).toFloatArray()).as(site).containsExactly(plain.get(site).toFloatArray());
            }
        }
    }

    /** A registered backward detector recording the gradients it is shown. */
    private static final class Recorder extends BaseHook implements Detector {
        final List<float[]> seen = new ArrayList<>();

        Recorder(String layer) {
            super(HookType.BACKWARD, layer);
        }

        @Override
        public void processActivations(HookCall call) {
            seen.add(call.activations().toFloatArray());
        }
    }
}
