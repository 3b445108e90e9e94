package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.microw.testing.Compare;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The final norm applied to residual parts, and per-head results, against Hugging Face's tensors. */
class ActivationCacheTest {

    private static final double TOLERANCE = 1e-4;
    private static final String[] DECOMPOSE = {"blocks.0.hook_resid_pre", "blocks.*.hook_attn_out",
            "blocks.*.hook_mlp_out", "blocks.1.hook_resid_post", "*.hook_z"};

    @Test
    void layerNormedPartsPlusTheBiasAreTheFinalNormsOutput() {
        try (Fixture f = Fixture.open("gpt2"); LanguageModel lm = LanguageModel.load(f.modelDir());
             RunResult r = lm.inference().runWithCache(f.ids("input_ids"), f.ids("attention_mask"), DECOMPOSE)) {
            NDArray parts = r.cache().applyFinalNorm(r.cache().decomposeResid());
            assertThat(parts.getShape()).isEqualTo(new Shape(5, 2, 12, 64));
            NDArray total = parts.sum(new int[] {0}).add(r.cache().finalNorm().bias().orElseThrow());
            assertThat(Compare.maxDiff(total, f.get("out/transformer.ln_f/0/0"), f.ids("attention_mask")))
                    .isLessThan(TOLERANCE);
            // A part that is all the residual stream normalises to the norm's output less its bias.
            NDArray alone = r.cache().applyFinalNorm(r.cache().stack("blocks.1.hook_resid_post"));
            assertThat(Compare.maxDiff(alone.get(0).add(r.cache().finalNorm().bias().orElseThrow()),
                    f.get("out/transformer.ln_f/0/0"), f.ids("attention_mask"))).isLessThan(TOLERANCE);
        }
    }

    @Test
    void rmsNormedPartsAndPerHeadResultsSumToHuggingFacesTensors() {
        try (Fixture f = Fixture.open("llama"); LanguageModel lm = LanguageModel.load(f.modelDir());
             RunResult r = lm.inference().runWithCache(f.ids("input_ids"), f.ids("attention_mask"), DECOMPOSE)) {
            long[][] mask = f.ids("attention_mask");
            assertThat(r.cache().finalNorm().bias()).isEmpty();
            NDArray parts = r.cache().applyFinalNorm(r.cache().decomposeResid());
            assertThat(Compare.maxDiff(parts.sum(new int[] {0}), f.get("out/model.norm/0/0"), mask))
                    .isLessThan(TOLERANCE);
            for (int l = 0; l < 2; l++) {
                NDArray heads = r.cache().headResults(l);
                assertThat(heads.getShape()).isEqualTo(new Shape(2, 12, 4, 64));
                // Llama's o_proj has no bias: the heads sum to the attention output.
                assertThat(Compare.maxDiff(heads.sum(new int[] {2}), f.get("out/model.layers." + l + ".self_attn/0/0"),
                        mask)).isLessThan(TOLERANCE);
            }
        }
        try (Fixture f = Fixture.open("llama"); LanguageModel lm = LanguageModel.load(f.modelDir());
             RunResult r = lm.inference().runWithCache(f.ids("input_ids"), f.ids("attention_mask"),
                     "blocks.0.hook_resid_pre")) {
            assertThatThrownBy(() -> r.cache().applyFinalNorm(r.cache().stack("blocks.0.hook_resid_pre")))
                    .hasMessageContaining("blocks.1.hook_resid_post");
            assertThatThrownBy(() -> r.cache().headResults(0)).hasMessageContaining("blocks.0.attn.hook_z");
        }
    }
}
